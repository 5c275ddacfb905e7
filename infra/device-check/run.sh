#!/usr/bin/env bash
# The GPU device check of issue 20 (item 5), on a machine with an NVIDIA GPU and no network, from what
# infra/device-check/prepare.mjs put beside this script (.device-check/): Node, the engine with Dawn, the Vulkan
# loader. Within 8 minutes it
#   1. finds the NVIDIA driver's Vulkan ICD (the driver's own JSON, else one written for libGLX_nvidia.so.0),
#   2. starts the engine's webgpu backend on it (`lrnas backend --backend webgpu`),
#   3. runs the webgpu kernel and gradient checks (services/engine/src/kernels/webgpu.test.ts),
#   4. measures the paper-shape supernet training step and the LRNAS_C10 attack step on webgpu, with PyTorch on
#      CUDA on the same GPU as the same-run yardstick (`--reference pytorch`; torch must be installed there:
#      LRNAS_BENCH_PYTHON names the interpreter), then once more with --profile for the top kernels.
# Everything it prints is also written under $OUT (or .device-check/out): check.log, bench.json, profile.json.
# Each step has its own time limit, so a hang in one still leaves the others' figures.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/lrnas-device-check.XXXXXX")
out=${OUT:-$here/out}
mkdir -p "$out"
exec > >(tee -a "$out/check.log") 2>&1
log() { echo "[device-check $(date +%T)] $*"; }
step() { # step SECONDS NAME COMMAND...: runs a command under a time limit and reports how it ended
  local limit=$1 name=$2
  shift 2
  log "$name (limit ${limit}s)"
  local began=$SECONDS
  timeout --kill-after=10 "$limit" "$@"
  local rc=$?
  log "$name: exit $rc after $((SECONDS - began))s$([ $rc = 124 ] && echo ' (time limit)')"
  return $rc
}

log "unpacking into $work"
xz -dc "$here/node.xz" >"$work/node" && chmod +x "$work/node" || { log 'no node.xz: run prepare.mjs first'; exit 2; }
tar -xJf "$here/engine.tar.xz" -C "$work" || exit 2
node=$work/node
log "node $("$node" --version), $(uname -srm), glibc $(ldd --version 2>/dev/null | head -1 | awk '{print $NF}')"

# The Vulkan loader: the system's when it has one, else Debian's from the .debs (no root needed to unpack).
if ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
  log "Vulkan loader: the system's ($(ldconfig -p | awk '/libvulkan.so.1 /{print $NF; exit}'))"
else
  for deb in "$here"/debs/*.deb; do
    if command -v dpkg-deb >/dev/null; then dpkg-deb -x "$deb" "$work/vulkan"; else
      mkdir -p "$work/vulkan" && (cd "$work" && ar x "$deb" data.tar.xz && tar -xJf data.tar.xz -C vulkan && rm data.tar.xz)
    fi
  done
  export LD_LIBRARY_PATH="$work/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  log "Vulkan loader: from the .deb ($(ls "$work"/vulkan/usr/lib/x86_64-linux-gnu/libvulkan.so.1* | head -1))"
fi

# The NVIDIA Vulkan ICD: the driver installs nvidia_icd.json; a container given the `graphics` capability gets the
# library (libGLX_nvidia.so.0) but not always the JSON, which is then written here.
icd=''
for f in /usr/share/vulkan/icd.d/nvidia_icd*.json /etc/vulkan/icd.d/nvidia_icd*.json; do
  [ -f "$f" ] && icd=$f && break
done
if [ -z "$icd" ]; then
  glx=$(ldconfig -p 2>/dev/null | awk '/libGLX_nvidia.so.0 /{print $NF; exit}')
  [ -z "$glx" ] && glx=$(ls /usr/lib/x86_64-linux-gnu/libGLX_nvidia.so.0 /usr/lib64/libGLX_nvidia.so.0 2>/dev/null | head -1)
  if [ -n "$glx" ]; then
    icd=$work/nvidia_icd.json
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"%s","api_version":"1.3"}}\n' "$glx" >"$icd"
    log "wrote an ICD file for $glx"
  else
    log 'no NVIDIA Vulkan ICD: neither nvidia_icd.json nor libGLX_nvidia.so.0 (a container needs' \
      'NVIDIA_DRIVER_CAPABILITIES with graphics); webgpu will find no GPU adapter'
  fi
fi
[ -n "$icd" ] && export VK_ICD_FILENAMES=$icd && log "Vulkan ICD: $icd"
command -v nvidia-smi >/dev/null &&
  nvidia-smi --query-gpu=name,driver_version,memory.total,utilization.gpu --format=csv,noheader | sed 's/^/  GPU: /'

cd "$work" || exit 2
export TSX_TSCONFIG_PATH=$work/tsconfig.runtime.json LRNAS_THREADS=1
LRNAS_ENGINE_COMMIT=$(cat "$here/ENGINE_COMMIT" 2>/dev/null || echo unknown)
export LRNAS_ENGINE_COMMIT
log "engine at $LRNAS_ENGINE_COMMIT"
tsx=(--import tsx)
step 45 'webgpu backend' "$node" services/engine/bin/lrnas.mjs backend --backend webgpu
step 90 'webgpu kernel and gradient checks' "$node" "${tsx[@]}" --test --test-reporter=spec \
  services/engine/src/kernels/webgpu.test.ts
# The issue's two figures: the paper-shape supernet training step and the LRNAS_C10 network's attack step (input
# gradient), webgpu against PyTorch on CUDA in one run; then the kernels that take webgpu's time.
workloads=supernet-paper/train,paper/attack-step
step 240 'benchmark: webgpu against PyTorch CUDA' "$node" "${tsx[@]}" services/engine/bench/main.ts \
  --backends webgpu --workloads "$workloads" --reference pytorch --out "$out/bench.json"
step 100 'benchmark profile (top kernels)' "$node" "${tsx[@]}" services/engine/bench/main.ts \
  --backends webgpu --workloads "$workloads" --profile --iterations 1 --out "$out/profile.json"
log "done; figures in $out"
