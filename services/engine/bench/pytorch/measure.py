"""One PyTorch measurement of the engine benchmark (`--reference pytorch`): the yardstick, never the product.

Started by bench/reference.ts with a JSON job as its only argument (the same workload, shape, batch and
iteration counts as the engine's measurement, the thread count and the device: "cpu", or "cuda" when the engine
is measured on a GPU); prints its result as one `BENCH_RESULT {...}` line: images/s, the timed samples, the
network's parameter count and peak RSS (and peak CUDA memory). On CUDA every iteration ends with
torch.cuda.synchronize(), as the engine's ends with a read of its result: both time finished work.
"""

import json
import math
import resource
import sys
import time

import torch
import torch.nn.functional as F

from models import EvalNetwork, Supernet, parameter_count, OPS

RESULT_MARKER = "BENCH_RESULT "
EDGES = 14
PLAYERS = 2 * EDGES * len(OPS)


def synthetic_batch(batch, size, channels, classes, seed, device):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, channels, size, size, generator=g)
    y = torch.arange(batch) % classes
    return x.to(device), y.to(device)


def attack_step_size(epsilon, steps):
    # The engine's defaultAttackStepSize: 0.01 at 8/255 (Madry's CIFAR setting), else 2.5 eps / steps.
    return 0.01 if abs(epsilon - 8 / 255) < 1e-9 else 2.5 * epsilon / steps


def input_gradient(model_fn, x, y):
    x = x.detach().requires_grad_(True)
    loss = F.cross_entropy(model_fn(x), y)
    (grad,) = torch.autograd.grad(loss, [x])
    return grad


def pgd(model_fn, x, y, epsilon, steps, step_size, g):
    delta = ((torch.rand(x.shape, generator=g) * 2 - 1) * epsilon).to(x.device)
    adv = (x + delta).clamp(0, 1)
    for _ in range(steps):
        grad = input_gradient(model_fn, adv, y)
        adv = torch.min(torch.max(adv + step_size * grad.sign(), x - epsilon), x + epsilon).clamp(0, 1)
    return adv.detach()


def sgd_step(model, loss, optimizer):
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    optimizer.step()


def mixing_weights(seed, device):
    """softmax over the ops of 1e-3 * N(0, 1) architecture weights, per cell type (as the engine's initial alphas)."""
    g = torch.Generator().manual_seed(seed)
    return [F.softmax(1e-3 * torch.randn(EDGES, len(OPS), generator=g), dim=-1).to(device) for _ in range(2)]


def prepare(job):
    w = job["workload"]
    shape = job["shape"]
    kind = w["kind"]
    batch = job["batch"]
    device = torch.device(job.get("device", "cpu"))
    x, y = synthetic_batch(batch, shape["imageSize"], shape["inputChannels"], shape["classes"], job["seed"], device)
    g = torch.Generator().manual_seed(job["seed"] + 1)
    details = {}
    if kind.startswith("supernet-"):
        net = Supernet(shape["channels"], shape["layers"], shape["classes"], shape["inputChannels"]).to(device)
        normal, reduce = mixing_weights(job["seed"], device)
        model = lambda inp, n=normal, r=reduce: net(inp, n, r)  # noqa: E731
        if kind == "supernet-train":
            opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=3e-4)

            def iteration():
                net.train()
                sgd_step(net, F.cross_entropy(model(x), y), opt)

        elif kind == "supernet-forward":

            def iteration():
                net.eval()
                with torch.no_grad():
                    model(x)

        elif kind == "supernet-estimate":
            # The naive walk of the released code (reference mode): per permutation, FGSM once against the full
            # supernet, then clean and adversarial accuracy of the full supernet and after each of the 224
            # removals (weight times 0, every operation still computed), batch statistics in BN. A walk of the
            # paper's supernet takes minutes, so `sampledPrefixes` of the 225 prefixes are timed and the rest
            # extrapolated (every prefix costs the same: removed operations are multiplied by 0, not skipped).
            sampled = min(job.get("sampledPrefixes", 16), PLAYERS + 1)
            permutations = w["permutations"]

            def accuracy(inp, n, r):
                with torch.no_grad():
                    return (net(inp, n, r).argmax(1) == y).float().mean().item()

            def iteration():
                net.train()  # batch statistics, as the engine's scoring
                began = time.perf_counter()
                adv = (x + job["shape"]["epsilon"] * input_gradient(model, x, y).sign()).clamp(0, 1)
                fgsm_s = time.perf_counter() - began
                order = torch.randperm(PLAYERS, generator=g)
                n, r = normal.clone(), reduce.clone()
                began = time.perf_counter()
                for t in range(sampled):
                    if t > 0:
                        p = int(order[t - 1])
                        (n if p < PLAYERS // 2 else r).view(-1)[p % (PLAYERS // 2)] = 0.0
                    accuracy(x, n, r)
                    accuracy(adv, n, r)
                per_prefix = (time.perf_counter() - began) / sampled
                details["secondsPerEstimate"] = permutations * (fgsm_s + per_prefix * (PLAYERS + 1))
                details["sampledPrefixes"] = sampled
                details["secondsPerPrefix"] = per_prefix

        else:
            raise ValueError(f"no PyTorch version of workload {kind!r}")
    else:
        net = EvalNetwork(
            job["genotype"], shape["channels"], shape["layers"], shape["classes"], shape["inputChannels"]
        ).to(device)
        epsilon = shape["epsilon"]
        if kind in ("train-clean", "train-pgd"):
            steps = w.get("steps", 7)
            opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)

            def iteration():
                inp = x
                if kind == "train-pgd":
                    net.eval()  # the engine crafts training attacks in inference mode
                    inp = pgd(net, x, y, epsilon, steps, attack_step_size(epsilon, steps), g)
                net.train()
                sgd_step(net, F.cross_entropy(net(inp), y), opt)

        elif kind == "forward":

            def iteration():
                net.eval()
                with torch.no_grad():
                    net(x)

        elif kind == "attack-step":
            for p in net.parameters():
                p.requires_grad_(False)

            def iteration():
                net.eval()
                input_gradient(net, x, y)

        else:
            raise ValueError(f"no PyTorch version of workload {kind!r}")
    return net, iteration, details


def count_parameters(jobs):
    """Parameter counts of the networks of several jobs (without running them): the benchmark's tests check them."""
    counts = []
    for job in jobs:
        shape = job["shape"]
        if job["workload"]["kind"].startswith("supernet-"):
            net = Supernet(shape["channels"], shape["layers"], shape["classes"], shape["inputChannels"])
        else:
            net = EvalNetwork(job["genotype"], shape["channels"], shape["layers"], shape["classes"], shape["inputChannels"])
        counts.append(parameter_count(net))
    return counts


def main():
    if sys.argv[1] == "--parameters":
        print(json.dumps(count_parameters(json.loads(sys.argv[2]))))
        return
    job = json.loads(sys.argv[1])
    torch.set_num_threads(job["threads"])
    torch.manual_seed(job["seed"])
    cuda = job.get("device", "cpu") == "cuda"
    net, step, details = prepare(job)

    def iteration():
        step()
        if cuda:
            torch.cuda.synchronize()

    for _ in range(job["warmup"]):
        iteration()
    samples = []
    for i in range(job["iterations"]):
        began = time.perf_counter()
        iteration()
        samples.append(1000 * (time.perf_counter() - began))
        print(f"  {job['id']} on PyTorch: timed {i + 1}: {samples[-1] / 1000:.2f} s", file=sys.stderr)
    median = sorted(samples)[len(samples) // 2] if len(samples) % 2 else sum(sorted(samples)[len(samples) // 2 - 1 : len(samples) // 2 + 1]) / 2
    result = {
        "imagesPerSecond": job["batch"] / (median / 1000),
        "timing": {
            "samplesMs": samples,
            "medianMs": median,
            "minMs": min(samples),
            "maxMs": max(samples),
            "spreadPct": 100 * (max(samples) - min(samples)) / median,
        },
        "parameters": parameter_count(net),
        "details": details,
        # ru_maxrss is in KiB on Linux.
        "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "threads": torch.get_num_threads(),
        "versions": {"torch": torch.__version__, "python": sys.version.split()[0]},
    }
    if cuda:
        result["versions"]["cuda"] = torch.version.cuda or ""
        result["versions"]["device"] = torch.cuda.get_device_name(0)
        result["details"]["peakCudaBytes"] = torch.cuda.max_memory_allocated()
    assert all(math.isfinite(s) for s in samples)
    print(RESULT_MARKER + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
