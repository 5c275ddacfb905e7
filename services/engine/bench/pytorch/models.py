"""PyTorch versions of the engine's networks, for the benchmark's yardstick only (never part of the product).

They follow the engine's definitions (services/engine/src/nn and src/search, lrnas-method.md sections 1, 2, 7)
in PyTorch's NCHW layout, with the structure of the released PyTorch code a user would otherwise run: the
supernet computes every candidate operation of every edge (`none` included) and slices, concatenates and
shuffles per edge. The benchmark checks that parameter counts equal the engine's, so a shape mismatch shows.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

OPS = [
    "none",
    "max_pool_3x3",
    "avg_pool_3x3",
    "skip_connect",
    "sep_conv_3x3",
    "sep_conv_5x5",
    "dil_conv_3x3",
    "dil_conv_5x5",
]
NODES = 4
STEM_MULTIPLIER = 3
CELL_MULTIPLIER = 4


def bn(channels, affine):
    return nn.BatchNorm2d(channels, affine=affine)


class ReLUConvBN(nn.Sequential):
    def __init__(self, c_in, c_out, affine):
        super().__init__(nn.ReLU(inplace=False), nn.Conv2d(c_in, c_out, 1, bias=False), bn(c_out, affine))


class SepConv(nn.Sequential):
    """(ReLU, depthwise k x k, pointwise, BN) twice; the first depthwise carries the stride."""

    def __init__(self, c, k, stride, affine):
        pad = k // 2
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, k, stride, pad, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            bn(c, affine),
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, k, 1, pad, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            bn(c, affine),
        )


class DilConv(nn.Sequential):
    """ReLU, depthwise k x k with dilation 2, pointwise, BN."""

    def __init__(self, c, k, stride, affine):
        super().__init__(
            nn.ReLU(inplace=False),
            nn.Conv2d(c, c, k, stride, k - 1, dilation=2, groups=c, bias=False),
            nn.Conv2d(c, c, 1, bias=False),
            bn(c, affine),
        )


class FactorizedReduce(nn.Module):
    """ReLU, two 1x1 stride-2 convs (the second on the input shifted by a pixel), concatenated, BN."""

    def __init__(self, c_in, c_out, affine):
        super().__init__()
        self.conv_1 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.conv_2 = nn.Conv2d(c_in, c_out // 2, 1, 2, bias=False)
        self.bn = bn(c_out, affine)

    def forward(self, x):
        x = F.relu(x)
        shifted = F.pad(x, (0, 1, 0, 1))[:, :, 1:, 1:]
        return self.bn(torch.cat([self.conv_1(x), self.conv_2(shifted)], dim=1))


class Zero(nn.Module):
    def __init__(self, stride):
        super().__init__()
        self.stride = stride

    def forward(self, x):
        return x[:, :, :: self.stride, :: self.stride].mul(0.0)


def create_op(name, c, stride, affine):
    if name == "none":
        return Zero(stride)
    if name == "max_pool_3x3":
        return nn.MaxPool2d(3, stride, 1)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride, 1, count_include_pad=False)
    if name == "skip_connect":
        return nn.Identity() if stride == 1 else FactorizedReduce(c, c, affine)
    if name == "sep_conv_3x3":
        return SepConv(c, 3, stride, affine)
    if name == "sep_conv_5x5":
        return SepConv(c, 5, stride, affine)
    if name == "dil_conv_3x3":
        return DilConv(c, 3, stride, affine)
    if name == "dil_conv_5x5":
        return DilConv(c, 5, stride, affine)
    raise ValueError(f"unknown operation {name!r}")


def plan_cells(channels, layers):
    """(reduction, reduction_prev, c_prev_prev, c_prev, c) per cell, as DARTS's networks compute them."""
    reductions = (layers // 3, 2 * layers // 3)
    c_pp = c_p = STEM_MULTIPLIER * channels
    c = channels
    reduction_prev = False
    plan = []
    for i in range(layers):
        reduction = i in reductions
        if reduction:
            c *= 2
        plan.append((reduction, reduction_prev, c_pp, c_p, c))
        reduction_prev = reduction
        c_pp, c_p = c_p, CELL_MULTIPLIER * c
    return plan


def stem(in_channels, channels):
    return nn.Sequential(
        nn.Conv2d(in_channels, STEM_MULTIPLIER * channels, 3, padding=1, bias=False),
        nn.BatchNorm2d(STEM_MULTIPLIER * channels),
    )


# ---- supernet (lrnas-method.md section 2) ----


def channel_shuffle(x, groups):
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).contiguous().view(n, c, h, w)


class MixedOp(nn.Module):
    """Partial-channel mixed op: the first C/k channels through all 8 ops, weighted and summed; the rest bypass."""

    def __init__(self, c, stride, k):
        super().__init__()
        self.k = k
        part = c // k
        ops = []
        for name in OPS:
            op = create_op(name, part, stride, False)
            # As the engine (and PC-DARTS): pools are followed by a non-affine BN.
            ops.append(nn.Sequential(op, bn(part, False)) if "pool" in name else op)
        self.ops = nn.ModuleList(ops)
        self.bypass_pool = nn.MaxPool2d(2, 2)

    def forward(self, x, weights):
        cut = x.shape[1] // self.k
        part, rest = x[:, :cut], x[:, cut:]
        mixed = sum(w * op(part) for w, op in zip(weights, self.ops))
        if self.k == 1:
            return mixed
        if mixed.shape[2] != x.shape[2]:
            rest = self.bypass_pool(rest)
        return channel_shuffle(torch.cat([mixed, rest], dim=1), self.k)


class SearchCell(nn.Module):
    def __init__(self, plan, k):
        super().__init__()
        reduction, reduction_prev, c_pp, c_p, c = plan
        self.reduction = reduction
        self.preprocess0 = FactorizedReduce(c_pp, c, False) if reduction_prev else ReLUConvBN(c_pp, c, False)
        self.preprocess1 = ReLUConvBN(c_p, c, False)
        edges = []
        for node in range(NODES):
            for j in range(node + 2):
                edges.append(MixedOp(c, 2 if reduction and j < 2 else 1, k))
        self.edges = nn.ModuleList(edges)

    def forward(self, s0, s1, weights):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        edge = 0
        for _ in range(NODES):
            node = sum(self.edges[edge + j](h, weights[edge + j]) for j, h in enumerate(states))
            edge += len(states)
            states.append(node)
        return torch.cat(states[2:], dim=1)


class Supernet(nn.Module):
    """Stem, L search cells (reductions at L/3 and 2L/3), global average pooling, linear classifier."""

    def __init__(self, channels, layers, classes, in_channels, k=4):
        super().__init__()
        self.stem = stem(in_channels, channels)
        plan = plan_cells(channels, layers)
        self.cells = nn.ModuleList(SearchCell(p, k) for p in plan)
        self.classifier = nn.Linear(CELL_MULTIPLIER * plan[-1][4], classes)

    def forward(self, x, weights_normal, weights_reduce):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1, weights_reduce if cell.reduction else weights_normal)
        return self.classifier(F.adaptive_avg_pool2d(s1, 1).flatten(1))


# ---- evaluation network (lrnas-method.md section 7) ----


class Cell(nn.Module):
    def __init__(self, pairs, plan):
        super().__init__()
        reduction, reduction_prev, c_pp, c_p, c = plan
        self.preprocess0 = FactorizedReduce(c_pp, c, True) if reduction_prev else ReLUConvBN(c_pp, c, True)
        self.preprocess1 = ReLUConvBN(c_p, c, True)
        self.inputs = [inp for _, inp in pairs]
        self.ops = nn.ModuleList(
            create_op(name, c, 2 if reduction and inp < 2 else 1, True) for name, inp in pairs
        )

    def forward(self, s0, s1):
        states = [self.preprocess0(s0), self.preprocess1(s1)]
        for node in range(len(self.ops) // 2):
            a, b = 2 * node, 2 * node + 1
            states.append(self.ops[a](states[self.inputs[a]]) + self.ops[b](states[self.inputs[b]]))
        return torch.cat(states[2:], dim=1)


class EvalNetwork(nn.Module):
    """DARTS's NetworkCIFAR without the auxiliary head: stem, L cells of a genotype, pooling, classifier."""

    def __init__(self, genotype, channels, layers, classes, in_channels):
        super().__init__()
        self.stem = stem(in_channels, channels)
        plan = plan_cells(channels, layers)
        self.cells = nn.ModuleList(
            Cell(genotype["reduce"] if p[0] else genotype["normal"], p) for p in plan
        )
        self.classifier = nn.Linear(CELL_MULTIPLIER * plan[-1][4], classes)

    def forward(self, x):
        s0 = s1 = self.stem(x)
        for cell in self.cells:
            s0, s1 = s1, cell(s0, s1)
        return self.classifier(F.adaptive_avg_pool2d(s1, 1).flatten(1))


def parameter_count(model):
    """Trainable parameters (BN running statistics and architecture weights excluded), as the engine counts them."""
    return sum(p.numel() for p in model.parameters())
