// AssemblyScript source of the engine's SIMD kernels (compiled by `npm run build:wasm -w @lrnas/engine` into
// src/kernels/wasm-simd.generated.ts). The module imports tfjs-backend-wasm's own memory and works on tensors in
// place: every argument is a byte offset into that heap or a size. It must own no memory of its own: no static
// data, no allocation, no stack (scalars and v128 locals only), so it never writes outside the outputs it is given.

const F = 4; // bytes per float

// ---------------------------------------------------------------------------------------------------------------
// Matrix products for 1x1 convolutions, row-major B [K, N] and out [M, N]: gemmTN takes A as [K, M] (out = A^T B,
// the filter gradient x^T dy summed over all pixels, without transposing x), gemmNN as [M, K] (out = A B, the
// forward pass x W and the input gradient dy W^T; with `bias` (0: none) plus a per-column bias, the inference-mode
// conv and BN folded into one). Both walk A through two byte strides: `aRow` between rows i of out, `aK` between
// steps k. K goes in chunks that stay in cache; each chunk adds 4x8 register tiles. A's values are broadcast
// straight from memory (v128.load32_splat, a load alone; f32.load then f32x4.splat spent a shuffle on the vector
// pipes beside each tile step's 16 multiplies and adds).

const KC = 256;

export function gemmTN(a: usize, b: usize, out: usize, k: i32, m: i32, n: i32): void {
  gemm(a, F, <usize>(m * F), b, out, k, m, n, 0);
}

export function gemmNN(a: usize, b: usize, out: usize, m: i32, k: i32, n: i32, bias: usize): void {
  gemm(a, <usize>(k * F), F, b, out, k, m, n, bias);
}

function gemm(a: usize, aRow: usize, aK: usize, b: usize, out: usize, k: i32, m: i32, n: i32, bias: usize): void {
  // One chunk stores its tiles; several add theirs to a zeroed out.
  const add = k > KC;
  if (add) memory.fill(out, 0, <usize>(m * n * F));
  const n8 = n & ~7;
  const n4 = n & ~3;
  const m4 = m & ~3;
  const rowB = <usize>(n * F);
  for (let k0 = 0; k0 < k; k0 += KC) {
    const k1 = min(k, k0 + KC);
    const aChunk = a + <usize>k0 * aK;
    const bChunk = b + <usize>k0 * rowB;
    const steps = k1 - k0;
    // The first chunk's sums start from the bias.
    const init = k0 == 0 ? bias : 0;
    for (let i = 0; i < m;) {
      const four = i < m4;
      const pa = aChunk + <usize>i * aRow;
      const po = out + <usize>(i * n) * F;
      for (let j = 0; j < n8; j += 8) {
        const pb = bChunk + <usize>(j * F);
        const pi = init == 0 ? 0 : init + <usize>(j * F);
        if (four) tile4x8(pa, aRow, aK, pb, rowB, po + <usize>(j * F), steps, add, pi);
        else tile1x8(pa, aK, pb, rowB, po + <usize>(j * F), steps, add, pi);
      }
      for (let j = n8; j < n4; j += 4) {
        const pb = bChunk + <usize>(j * F);
        const pi = init == 0 ? 0 : init + <usize>(j * F);
        if (four) tile4x4(pa, aRow, aK, pb, rowB, po + <usize>(j * F), steps, add, pi);
        else tile1x4(pa, aK, pb, rowB, po + <usize>(j * F), steps, add, pi);
      }
      const rows = four ? 4 : 1;
      for (let r = 0; r < rows; r++) {
        for (let j = n4; j < n; j++) {
          let sum: f32 = init == 0 ? 0 : load<f32>(init + <usize>(j * F));
          let pr = pa + <usize>r * aRow;
          let pb = bChunk + <usize>(j * F);
          for (let t = 0; t < steps; t++) {
            sum += load<f32>(pr) * load<f32>(pb);
            pr += aK;
            pb += rowB;
          }
          const p = po + <usize>((r * n + j) * F);
          store<f32>(p, add ? load<f32>(p) + sum : sum);
        }
      }
      i += rows;
    }
  }
}

function addTo(p: usize, v: v128): void {
  v128.store(p, f32x4.add(v128.load(p), v));
}

/** The bias vector at p, or zeros when p is 0. */
function start(p: usize): v128 {
  return p == 0 ? f32x4.splat(0) : v128.load(p);
}

/** Adds v to the vector at p, or stores it there when not `add`. */
function put(p: usize, v: v128, add: bool): void {
  v128.store(p, add ? f32x4.add(v128.load(p), v) : v);
}

/**
 * out[0..4, 0..8] (+)= init[0..8] + sum over steps of A(row r, step) B[step, 0..8]; A's rows aRow apart, steps aK
 * apart; `init` 0 for none.
 */
function tile4x8(
  a: usize,
  aRow: usize,
  aK: usize,
  b: usize,
  rowB: usize,
  out: usize,
  steps: i32,
  add: bool,
  init: usize,
): void {
  const i0 = start(init);
  const i1 = start(init == 0 ? 0 : init + 16);
  let c00 = i0,
    c01 = i1,
    c10 = i0,
    c11 = i1;
  let c20 = i0,
    c21 = i1,
    c30 = i0,
    c31 = i1;
  let pa = a;
  let pb = b;
  for (let t = 0; t < steps; t++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load32_splat(pa + aRow);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load32_splat(pa + 2 * aRow);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load32_splat(pa + 3 * aRow);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    pa += aK;
    pb += rowB;
  }
  const rowO = rowB;
  put(out, c00, add);
  put(out + 16, c01, add);
  put(out + rowO, c10, add);
  put(out + rowO + 16, c11, add);
  put(out + 2 * rowO, c20, add);
  put(out + 2 * rowO + 16, c21, add);
  put(out + 3 * rowO, c30, add);
  put(out + 3 * rowO + 16, c31, add);
}

function tile4x4(
  a: usize,
  aRow: usize,
  aK: usize,
  b: usize,
  rowB: usize,
  out: usize,
  steps: i32,
  add: bool,
  init: usize,
): void {
  const i0 = start(init);
  let c0 = i0,
    c1 = i0,
    c2 = i0,
    c3 = i0;
  let pa = a;
  let pb = b;
  for (let t = 0; t < steps; t++) {
    const b0 = v128.load(pb);
    c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(pa), b0));
    c1 = f32x4.add(c1, f32x4.mul(v128.load32_splat(pa + aRow), b0));
    c2 = f32x4.add(c2, f32x4.mul(v128.load32_splat(pa + 2 * aRow), b0));
    c3 = f32x4.add(c3, f32x4.mul(v128.load32_splat(pa + 3 * aRow), b0));
    pa += aK;
    pb += rowB;
  }
  put(out, c0, add);
  put(out + rowB, c1, add);
  put(out + 2 * rowB, c2, add);
  put(out + 3 * rowB, c3, add);
}

function tile1x8(a: usize, aK: usize, b: usize, rowB: usize, out: usize, steps: i32, add: bool, init: usize): void {
  let c0 = start(init),
    c1 = start(init == 0 ? 0 : init + 16);
  let pa = a;
  let pb = b;
  for (let t = 0; t < steps; t++) {
    const a0 = v128.load32_splat(pa);
    c0 = f32x4.add(c0, f32x4.mul(a0, v128.load(pb)));
    c1 = f32x4.add(c1, f32x4.mul(a0, v128.load(pb, 16)));
    pa += aK;
    pb += rowB;
  }
  put(out, c0, add);
  put(out + 16, c1, add);
}

function tile1x4(a: usize, aK: usize, b: usize, rowB: usize, out: usize, steps: i32, add: bool, init: usize): void {
  let c0 = start(init);
  let pa = a;
  let pb = b;
  for (let t = 0; t < steps; t++) {
    c0 = f32x4.add(c0, f32x4.mul(v128.load32_splat(pa), v128.load(pb)));
    pa += aK;
    pb += rowB;
  }
  put(out, c0, add);
}

// ---------------------------------------------------------------------------------------------------------------
// dx of a 2-D max pool (NHWC): each window's dy goes to the first cell (row-major) equal to the window's maximum;
// padding never receives gradient; a window whose maximum is not above -infinity (or NaN) passes none. With
// channels a multiple of 4 the windows are walked four channels at a time with a "found" mask and no branches.
// It takes the depthwise kernels' geometry (simdGeometry); the dilations, always 1 for a pool, are not read.

export function maxPoolGrad(
  x: usize,
  y: usize,
  dy: usize,
  dx: usize,
  batch: i32,
  h: i32,
  w: i32,
  c: i32,
  oh: i32,
  ow: i32,
  fh: i32,
  fw: i32,
  sh: i32,
  sw: i32,
  _dh: i32,
  _dw: i32,
  top: i32,
  left: i32,
): void {
  memory.fill(dx, 0, <usize>(batch * h * w * c * F));
  const vector = (c & 3) == 0;
  const minusInf = f32x4.splat(-Infinity);
  const rowStride = <usize>(w * c * F);
  let o: usize = 0; // byte offset of (b, i, j, 0) in y and dy
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < oh; i++) {
      const r0 = max(i * sh - top, 0);
      const r1 = min(i * sh - top + fh, h);
      for (let j = 0; j < ow; j++) {
        const q0 = max(j * sw - left, 0);
        const q1 = min(j * sw - left + fw, w);
        const corner = <usize>(((b * h + r0) * w + q0) * c * F);
        const cols = q1 - q0;
        if (vector) {
          for (let ch = 0; ch < c; ch += 4) {
            const chb = <usize>(ch * F);
            const mx = v128.load(y + o + chb);
            const g = v128.load(dy + o + chb);
            // Windows with no finite maximum start "found": they pass nothing.
            let found = v128.not(f32x4.gt(mx, minusInf));
            let row = corner + chb;
            for (let r = r0; r < r1; r++) {
              let cell = row;
              for (let q = 0; q < cols; q++) {
                const hit = v128.andnot(f32x4.eq(v128.load(x + cell), mx), found);
                addTo(dx + cell, v128.and(g, hit));
                found = v128.or(found, hit);
                cell += <usize>(c * F);
              }
              row += rowStride;
            }
          }
        } else {
          for (let ch = 0; ch < c; ch++) {
            const chb = <usize>(ch * F);
            const mx = load<f32>(y + o + chb);
            if (!(mx > -Infinity)) continue;
            let row = corner + chb;
            let done = false;
            for (let r = r0; r < r1 && !done; r++) {
              let cell = row;
              for (let q = 0; q < cols; q++) {
                if (load<f32>(x + cell) == mx) {
                  store<f32>(dx + cell, load<f32>(dx + cell) + load<f32>(dy + o + chb));
                  done = true;
                  break;
                }
                cell += <usize>(c * F);
              }
              row += rowStride;
            }
          }
        }
        o += <usize>(c * F);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Depthwise convolution (NHWC, filter [kh, kw, C, 1], any stride and dilation), forward and both gradients, straight
// from the unpadded tensors: rows and columns a tap reads outside the input are skipped instead of padded. One walk
// serves all three: for every output row and tap it finds the run of output columns whose input column is inside,
// then the forward gathers x into y, the input gradient scatters dy into dx, the filter gradient sums x * dy.
// Channels a multiple of 4 go four at a time; stride-1 rows of 1 or 2 channels go as flat runs of 4 floats;
// anything else element by element. On channels a multiple of 4 the forward, and the input gradient at stride 1
// (a correlation of dy with the flipped filter), take `correlate` instead, which keeps a tap row's weights in
// registers: 0.5-0.9 of the native kernel's time where the walk matched it.

/** First output column j >= 0 with 0 <= j*s + off, and one past the last with j*s + off < w. */
function firstColumn(off: i32, s: i32): i32 {
  return off >= 0 ? 0 : (-off + s - 1) / s;
}
function endColumn(off: i32, s: i32, w: i32, ow: i32): i32 {
  const last = w - 1 - off;
  return last < 0 ? 0 : min(ow, last / s + 1);
}

/** depthwise's modes (read by the engine from the module's exports). */
export const DEPTHWISE_FORWARD: i32 = 0;
export const DEPTHWISE_INPUT_GRAD: i32 = 1;
export const DEPTHWISE_FILTER_GRAD: i32 = 2;

/**
 * out[j] += inp[j] * tap over n pixels of c channels, out and inp advancing by their own byte steps. Flat runs
 * need both steps equal to one pixel (stride 1).
 */
function accumulateTap(out: usize, outStep: usize, inp: usize, inStep: usize, tap: usize, n: i32, c: i32): void {
  const cb = <usize>(c * F);
  if ((c & 3) == 0) {
    for (let ch = 0; ch < c; ch += 4) {
      const chb = <usize>(ch * F);
      const wv = v128.load(tap + chb);
      let po = out + chb;
      let pi = inp + chb;
      for (let j = 0; j < n; j++) {
        addTo(po, f32x4.mul(v128.load(pi), wv));
        po += outStep;
        pi += inStep;
      }
    }
  } else if (outStep == cb && inStep == cb && (c == 1 || c == 2)) {
    const wv = c == 1 ? v128.load32_splat(tap) : v128.load64_splat(tap);
    const len = n * c;
    let f = 0;
    for (; f + 4 <= len; f += 4) addTo(out + <usize>(f * F), f32x4.mul(v128.load(inp + <usize>(f * F)), wv));
    for (; f < len; f++) {
      const p = out + <usize>(f * F);
      store<f32>(p, load<f32>(p) + load<f32>(inp + <usize>(f * F)) * load<f32>(tap + <usize>((f % c) * F)));
    }
  } else {
    for (let j = 0; j < n; j++) {
      const po = out + <usize>j * outStep;
      const pi = inp + <usize>j * inStep;
      for (let ch = 0; ch < c; ch++) {
        const chb = <usize>(ch * F);
        store<f32>(po + chb, load<f32>(po + chb) + load<f32>(pi + chb) * load<f32>(tap + chb));
      }
    }
  }
}

/** tap[ch] += sum over n pixels of x[j, ch] * dy[j, ch], x advancing by xStep bytes and dy by one pixel. */
function sumTap(x: usize, xStep: usize, dy: usize, tap: usize, n: i32, c: i32): void {
  const cb = <usize>(c * F);
  if ((c & 3) == 0) {
    for (let ch = 0; ch < c; ch += 4) {
      const chb = <usize>(ch * F);
      let acc = f32x4.splat(0);
      let px = x + chb;
      let pd = dy + chb;
      for (let j = 0; j < n; j++) {
        acc = f32x4.add(acc, f32x4.mul(v128.load(px), v128.load(pd)));
        px += xStep;
        pd += cb;
      }
      addTo(tap + chb, acc);
    }
  } else if (xStep == cb && (c == 1 || c == 2)) {
    // Flat run over (column, channel): lane l holds channel l % c (the run starts at a pixel).
    const len = n * c;
    let f = 0;
    let acc = f32x4.splat(0);
    for (; f + 4 <= len; f += 4) {
      acc = f32x4.add(acc, f32x4.mul(v128.load(x + <usize>(f * F)), v128.load(dy + <usize>(f * F))));
    }
    const l0 = f32x4.extract_lane(acc, 0);
    const l1 = f32x4.extract_lane(acc, 1);
    const l2 = f32x4.extract_lane(acc, 2);
    const l3 = f32x4.extract_lane(acc, 3);
    if (c == 1) {
      store<f32>(tap, load<f32>(tap) + (l0 + l1 + (l2 + l3)));
    } else {
      store<f32>(tap, load<f32>(tap) + (l0 + l2));
      store<f32>(tap + 4, load<f32>(tap + 4) + (l1 + l3));
    }
    for (; f < len; f++) {
      const p = tap + <usize>((f % c) * F);
      store<f32>(p, load<f32>(p) + load<f32>(x + <usize>(f * F)) * load<f32>(dy + <usize>(f * F)));
    }
  } else {
    for (let ch = 0; ch < c; ch++) {
      const chb = <usize>(ch * F);
      let s: f32 = 0;
      for (let j = 0; j < n; j++) s += load<f32>(x + <usize>j * xStep + chb) * load<f32>(dy + <usize>j * cb + chb);
      store<f32>(tap + chb, load<f32>(tap + chb) + s);
    }
  }
}

/** Pixel offsets of a narrow vector's lanes: 1 channel (4 pixels) or 2 (2 pixels). */
function laneOffsets(c: i32): v128 {
  return c == 1 ? i32x4(0, 1, 2, 3) : i32x4(0, 0, 1, 1);
}

/**
 * The narrow vector of a row from column q on (4 / c pixels), zeros in lanes whose column is outside [0, w).
 * Reads the whole vector where it lies inside the memory (lanes beyond the row are masked off), else lane by lane.
 */
function narrowX(xRow: usize, q: i32, w: i32, c: i32, offsets: v128, limit: i64): v128 {
  const columns = i32x4.add(i32x4.splat(q), offsets);
  const inside = v128.and(i32x4.ge_s(columns, i32x4.splat(0)), i32x4.lt_s(columns, i32x4.splat(w)));
  const at = xRow + <usize>(q * c * F);
  const at64 = <i64>xRow + <i64>(q * c * F);
  if (at64 >= 0 && at64 + 16 <= limit) return v128.and(v128.load(at), inside);
  let v = f32x4.splat(0);
  if (i32x4.extract_lane(inside, 0) != 0) v = f32x4.replace_lane(v, 0, load<f32>(at));
  if (i32x4.extract_lane(inside, 1) != 0) v = f32x4.replace_lane(v, 1, load<f32>(at + 4));
  if (i32x4.extract_lane(inside, 2) != 0) v = f32x4.replace_lane(v, 2, load<f32>(at + 8));
  if (i32x4.extract_lane(inside, 3) != 0) v = f32x4.replace_lane(v, 3, load<f32>(at + 12));
  return v;
}

/** A tap's weights as a vector: 4 channels, or 1 or 2 channels repeated over the 4 / c pixels of a vector. */
function tapVector(p: usize, c: i32): v128 {
  return c == 1 ? v128.load32_splat(p) : c == 2 ? v128.load64_splat(p) : v128.load(p);
}

/**
 * y = the depthwise correlation of x with the filter (flipped in both axes when `flip`), for channels a multiple of
 * 4, or 1 or 2 at stride 1 (a vector then holds 4 / c neighbouring pixels). Each output row is built tap row by tap row: per channel vector the row's kw weights stay in registers while
 * the interior columns (every tap inside the input row) each load y once, add kw products and store it once; the
 * columns at the edges skip their taps under padding. Taps are summed in the same order everywhere.
 */
function correlate(
  x: usize,
  filter: usize,
  y: usize,
  batch: i32,
  h: i32,
  w: i32,
  c: i32,
  oh: i32,
  ow: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dw: i32,
  top: i32,
  left: i32,
  flip: bool,
): void {
  memory.fill(y, 0, <usize>(batch * oh * ow * c * F));
  const cb = <usize>(c * F);
  const colStep = <usize>dw * cb;
  const narrow = c < 4;
  // Interior columns j: j*sw - left >= 0 and j*sw - left + (kw-1)*dw <= w - 1; narrow rows take them in whole
  // vectors of 4 / c pixels (stride 1), the rest with the edges.
  const jIn0 = min(ow, firstColumn(-left, sw));
  const jIn1 = max(jIn0, endColumn((kw - 1) * dw - left, sw, w, ow));
  const jEnd = narrow ? jIn0 + ((jIn1 - jIn0) / (4 / c)) * (4 / c) : jIn1;
  // Bytes from one interior vector to the next, in y and in x.
  const yStep: usize = narrow ? 16 : cb;
  const xStep: usize = narrow ? 16 : <usize>sw * cb;
  const group = narrow ? 4 / c : 1;
  const offsets = laneOffsets(c);
  const limit = (<i64>memory.size()) << 16;
  for (let n = 0; n < batch; n++) {
    const image = x + <usize>(n * h * w) * cb;
    for (let i = 0; i < oh; i++) {
      const yRow = y + <usize>((n * oh + i) * ow) * cb;
      for (let u = 0; u < kh; u++) {
        const r = i * sh + u * dh - top;
        if (r < 0 || r >= h) continue;
        const xRow = image + <usize>(r * w) * cb;
        const tapRow = flip ? (kh - 1 - u) * kw : u * kw;
        for (let ch = 0; ch < c; ch += 4) {
          const chb = <usize>(ch * F);
          // Tap v's weights at filter + tapAt(v).
          const t0 = filter + <usize>((tapRow + (flip ? kw - 1 : 0)) * c * F) + chb;
          const tStep: isize = flip ? -(<isize>cb) : <isize>cb;
          // Edge columns: one at a time, taps outside the row skipped.
          for (let j = 0; j < ow; j++) {
            if (j == jIn0) j = jEnd;
            if (j >= ow) break;
            const col = j * sw - left;
            if (narrow) {
              // Whole vectors of edge pixels with their outside lanes masked, the rest one element at a time.
              if (j + group <= (j < jIn0 ? jIn0 : ow)) {
                const py = yRow + <usize>j * cb;
                let acc = v128.load(py);
                let tap = t0;
                for (let v = 0; v < kw; v++) {
                  const xv = narrowX(xRow, col + v * dw, w, c, offsets, limit);
                  acc = f32x4.add(acc, f32x4.mul(xv, tapVector(tap, c)));
                  tap += tStep;
                }
                v128.store(py, acc);
                j += group - 1;
                continue;
              }
              for (let e = 0; e < c; e++) {
                const py = yRow + <usize>(j * c + e) * F;
                let acc = load<f32>(py);
                let tap = t0 + <usize>(e * F);
                for (let v = 0; v < kw; v++) {
                  const q = col + v * dw;
                  if (q >= 0 && q < w) acc += load<f32>(xRow + <usize>(q * c + e) * F) * load<f32>(tap);
                  tap += tStep;
                }
                store<f32>(py, acc);
              }
              continue;
            }
            let acc = v128.load(yRow + <usize>j * cb + chb);
            let tap = t0;
            for (let v = 0; v < kw; v++) {
              const q = col + v * dw;
              if (q >= 0 && q < w)
                acc = f32x4.add(acc, f32x4.mul(v128.load(xRow + <usize>q * cb + chb), v128.load(tap)));
              tap += tStep;
            }
            v128.store(yRow + <usize>j * cb + chb, acc);
          }
          if (jEnd <= jIn0) continue;
          let py = yRow + <usize>jIn0 * cb + chb;
          let px = xRow + <usize>(jIn0 * sw - left) * cb + chb;
          const pyEnd = yRow + <usize>jEnd * cb + chb;
          if (kw == 3) {
            const w0 = tapVector(t0, c);
            const w1 = tapVector(t0 + tStep, c);
            const w2 = tapVector(t0 + 2 * tStep, c);
            for (; py < pyEnd; py += yStep) {
              let acc = v128.load(py);
              acc = f32x4.add(acc, f32x4.mul(v128.load(px), w0));
              acc = f32x4.add(acc, f32x4.mul(v128.load(px + colStep), w1));
              acc = f32x4.add(acc, f32x4.mul(v128.load(px + 2 * colStep), w2));
              v128.store(py, acc);
              px += xStep;
            }
          } else if (kw == 5) {
            const w0 = tapVector(t0, c);
            const w1 = tapVector(t0 + tStep, c);
            const w2 = tapVector(t0 + 2 * tStep, c);
            const w3 = tapVector(t0 + 3 * tStep, c);
            const w4 = tapVector(t0 + 4 * tStep, c);
            for (; py < pyEnd; py += yStep) {
              let acc = v128.load(py);
              acc = f32x4.add(acc, f32x4.mul(v128.load(px), w0));
              acc = f32x4.add(acc, f32x4.mul(v128.load(px + colStep), w1));
              acc = f32x4.add(acc, f32x4.mul(v128.load(px + 2 * colStep), w2));
              acc = f32x4.add(acc, f32x4.mul(v128.load(px + 3 * colStep), w3));
              acc = f32x4.add(acc, f32x4.mul(v128.load(px + 4 * colStep), w4));
              v128.store(py, acc);
              px += xStep;
            }
          } else {
            for (; py < pyEnd; py += yStep) {
              let acc = v128.load(py);
              let tap = t0;
              let p = px;
              for (let v = 0; v < kw; v++) {
                acc = f32x4.add(acc, f32x4.mul(v128.load(p), tapVector(tap, c)));
                p += colStep;
                tap += tStep;
              }
              v128.store(py, acc);
              px += xStep;
            }
          }
        }
      }
    }
  }
}

/** The channel vector at column q of an input row, or zeros where q is outside the row (padding). */
function xAt(xRow: usize, q: i32, w: i32, cb: usize): v128 {
  return q >= 0 && q < w ? v128.load(xRow + <usize>q * cb) : f32x4.splat(0);
}

/** Adds the lanes of a tap row's vector sum to its taps: 4 channels, or 1 or 2 repeated over the lanes. */
function foldAdd(p: usize, a: v128, c: i32): void {
  if (c >= 4) {
    addTo(p, a);
    return;
  }
  const l0 = f32x4.extract_lane(a, 0);
  const l1 = f32x4.extract_lane(a, 1);
  const l2 = f32x4.extract_lane(a, 2);
  const l3 = f32x4.extract_lane(a, 3);
  if (c == 1) {
    store<f32>(p, load<f32>(p) + (l0 + l1 + (l2 + l3)));
  } else {
    store<f32>(p, load<f32>(p) + (l0 + l2));
    store<f32>(p + 4, load<f32>(p + 4) + (l1 + l3));
  }
}

/** Adds output column j's products to a tap row of a 1- or 2-channel filter gradient, taps under padding skipped. */
function narrowTaps(xRow: usize, dyRow: usize, t0: usize, j: i32, col: i32, c: i32, kw: i32, dw: i32, w: i32): void {
  for (let e = 0; e < c; e++) {
    const d = load<f32>(dyRow + <usize>(j * c + e) * F);
    for (let v = 0; v < kw; v++) {
      const q = col + v * dw;
      if (q < 0 || q >= w) continue;
      const p = t0 + <usize>(v * c + e) * F;
      store<f32>(p, load<f32>(p) + load<f32>(xRow + <usize>(q * c + e) * F) * d);
    }
  }
}

/**
 * dfilter of a depthwise convolution for channels a multiple of 4 (up to 48), or 1 or 2 at stride 1 (a vector
 * then holds 4 / c neighbouring pixels): per output row, tap row and channel
 * vector the row's kw (3 or 5) tap sums stay in registers while each column loads dy once for the kw products;
 * columns at the edges read zeros for their taps under padding. Other widths add tap by tap in memory.
 */
function correlateFilterGrad(
  x: usize,
  dy: usize,
  df: usize,
  batch: i32,
  h: i32,
  w: i32,
  c: i32,
  oh: i32,
  ow: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dw: i32,
  top: i32,
  left: i32,
): void {
  memory.fill(df, 0, <usize>(kh * kw * c * F));
  const cb = <usize>(c * F);
  const colStep = <usize>dw * cb;
  const narrow = c < 4;
  // Interior columns j (every tap inside the row): j*sw - left >= 0 and j*sw - left + (kw-1)*dw <= w - 1; narrow
  // rows take them in whole vectors of 4 / c pixels (stride 1), the rest with the edges.
  const jIn0 = min(ow, firstColumn(-left, sw));
  const jIn1 = max(jIn0, endColumn((kw - 1) * dw - left, sw, w, ow));
  const jEnd = narrow ? jIn0 + ((jIn1 - jIn0) / (4 / c)) * (4 / c) : jIn1;
  const dyStep: usize = narrow ? 16 : cb;
  const xStep: usize = narrow ? 16 : <usize>sw * cb;
  const group = narrow ? 4 / c : 1;
  const offsets = laneOffsets(c);
  const limit = (<i64>memory.size()) << 16;
  for (let n = 0; n < batch; n++) {
    const image = x + <usize>(n * h * w) * cb;
    for (let i = 0; i < oh; i++) {
      const dyRow = dy + <usize>((n * oh + i) * ow) * cb;
      for (let u = 0; u < kh; u++) {
        const r = i * sh + u * dh - top;
        if (r < 0 || r >= h) continue;
        const xRow = image + <usize>(r * w) * cb;
        for (let ch = 0; ch < c; ch += 4) {
          const chb = <usize>(ch * F);
          const t0 = df + <usize>(u * kw) * cb + chb;
          const xr = xRow + chb;
          if (kw == 3) {
            let a0 = f32x4.splat(0);
            let a1 = f32x4.splat(0);
            let a2 = f32x4.splat(0);
            for (let j = 0; j < ow; j++) {
              if (j == jIn0 && jEnd > jIn0) {
                let px = xr + <usize>(jIn0 * sw - left) * cb;
                const pdEnd = dyRow + <usize>jEnd * cb + chb;
                for (let pd = dyRow + <usize>jIn0 * cb + chb; pd < pdEnd; pd += dyStep) {
                  const d = v128.load(pd);
                  a0 = f32x4.add(a0, f32x4.mul(v128.load(px), d));
                  a1 = f32x4.add(a1, f32x4.mul(v128.load(px + colStep), d));
                  a2 = f32x4.add(a2, f32x4.mul(v128.load(px + 2 * colStep), d));
                  px += xStep;
                }
                j = jEnd;
                if (j >= ow) break;
              }
              const col = j * sw - left;
              if (narrow) {
                // Whole vectors of edge pixels with their outside lanes masked, the rest one element at a time.
                if (j + group <= (j < jIn0 ? jIn0 : ow)) {
                  const d = v128.load(dyRow + <usize>j * cb);
                  a0 = f32x4.add(a0, f32x4.mul(narrowX(xRow, col, w, c, offsets, limit), d));
                  a1 = f32x4.add(a1, f32x4.mul(narrowX(xRow, col + dw, w, c, offsets, limit), d));
                  a2 = f32x4.add(a2, f32x4.mul(narrowX(xRow, col + 2 * dw, w, c, offsets, limit), d));
                  j += group - 1;
                } else {
                  narrowTaps(xRow, dyRow, t0, j, col, c, kw, dw, w);
                }
                continue;
              }
              const d = v128.load(dyRow + <usize>j * cb + chb);
              a0 = f32x4.add(a0, f32x4.mul(xAt(xr, col, w, cb), d));
              a1 = f32x4.add(a1, f32x4.mul(xAt(xr, col + dw, w, cb), d));
              a2 = f32x4.add(a2, f32x4.mul(xAt(xr, col + 2 * dw, w, cb), d));
            }
            foldAdd(t0, a0, c);
            foldAdd(t0 + cb, a1, c);
            foldAdd(t0 + 2 * cb, a2, c);
          } else if (kw == 5) {
            let a0 = f32x4.splat(0);
            let a1 = f32x4.splat(0);
            let a2 = f32x4.splat(0);
            let a3 = f32x4.splat(0);
            let a4 = f32x4.splat(0);
            for (let j = 0; j < ow; j++) {
              if (j == jIn0 && jEnd > jIn0) {
                let px = xr + <usize>(jIn0 * sw - left) * cb;
                const pdEnd = dyRow + <usize>jEnd * cb + chb;
                for (let pd = dyRow + <usize>jIn0 * cb + chb; pd < pdEnd; pd += dyStep) {
                  const d = v128.load(pd);
                  a0 = f32x4.add(a0, f32x4.mul(v128.load(px), d));
                  a1 = f32x4.add(a1, f32x4.mul(v128.load(px + colStep), d));
                  a2 = f32x4.add(a2, f32x4.mul(v128.load(px + 2 * colStep), d));
                  a3 = f32x4.add(a3, f32x4.mul(v128.load(px + 3 * colStep), d));
                  a4 = f32x4.add(a4, f32x4.mul(v128.load(px + 4 * colStep), d));
                  px += xStep;
                }
                j = jEnd;
                if (j >= ow) break;
              }
              const col = j * sw - left;
              if (narrow) {
                if (j + group <= (j < jIn0 ? jIn0 : ow)) {
                  const d = v128.load(dyRow + <usize>j * cb);
                  a0 = f32x4.add(a0, f32x4.mul(narrowX(xRow, col, w, c, offsets, limit), d));
                  a1 = f32x4.add(a1, f32x4.mul(narrowX(xRow, col + dw, w, c, offsets, limit), d));
                  a2 = f32x4.add(a2, f32x4.mul(narrowX(xRow, col + 2 * dw, w, c, offsets, limit), d));
                  a3 = f32x4.add(a3, f32x4.mul(narrowX(xRow, col + 3 * dw, w, c, offsets, limit), d));
                  a4 = f32x4.add(a4, f32x4.mul(narrowX(xRow, col + 4 * dw, w, c, offsets, limit), d));
                  j += group - 1;
                } else {
                  narrowTaps(xRow, dyRow, t0, j, col, c, kw, dw, w);
                }
                continue;
              }
              const d = v128.load(dyRow + <usize>j * cb + chb);
              a0 = f32x4.add(a0, f32x4.mul(xAt(xr, col, w, cb), d));
              a1 = f32x4.add(a1, f32x4.mul(xAt(xr, col + dw, w, cb), d));
              a2 = f32x4.add(a2, f32x4.mul(xAt(xr, col + 2 * dw, w, cb), d));
              a3 = f32x4.add(a3, f32x4.mul(xAt(xr, col + 3 * dw, w, cb), d));
              a4 = f32x4.add(a4, f32x4.mul(xAt(xr, col + 4 * dw, w, cb), d));
            }
            foldAdd(t0, a0, c);
            foldAdd(t0 + cb, a1, c);
            foldAdd(t0 + 2 * cb, a2, c);
            foldAdd(t0 + 3 * cb, a3, c);
            foldAdd(t0 + 4 * cb, a4, c);
          } else {
            for (let j = 0; j < ow; j++) {
              const col = j * sw - left;
              if (narrow) {
                narrowTaps(xRow, dyRow, t0, j, col, c, kw, dw, w);
                continue;
              }
              const d = v128.load(dyRow + <usize>j * cb + chb);
              for (let v = 0; v < kw; v++) addTo(t0 + <usize>v * cb, f32x4.mul(xAt(xr, col + v * dw, w, cb), d));
            }
          }
        }
      }
    }
  }
}

/**
 * `mode` DEPTHWISE_FORWARD: (a, b, out) = (x, filter, y); DEPTHWISE_INPUT_GRAD: (dy, filter, dx);
 * DEPTHWISE_FILTER_GRAD: (x, dy, dfilter). The output is zeroed first, then accumulated tap by tap.
 */
export function depthwise(
  mode: i32,
  a: usize,
  b: usize,
  out: usize,
  batch: i32,
  h: i32,
  w: i32,
  c: i32,
  oh: i32,
  ow: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dw: i32,
  top: i32,
  left: i32,
): void {
  const forward = mode == DEPTHWISE_FORWARD;
  const inputGrad = mode == DEPTHWISE_INPUT_GRAD;
  const vector = (c & 3) == 0;
  // 1 or 2 channels at stride 1 and dilation 1 (with dilation 2 the wider edges made them as slow as the walk or
  // slower: 1.0-1.3x its time).
  const narrow = (c == 1 || c == 2) && sh == 1 && sw == 1 && dh == 1 && dw == 1;
  if (forward && (vector || narrow)) {
    correlate(a, b, out, batch, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, top, left, false);
    return;
  }
  // Measured: 0.55-0.75 of the walk's time up to 36 channels, slower from 72 (there the walk stays).
  if (mode == DEPTHWISE_FILTER_GRAD && ((vector && c <= 48) || (narrow && (kw == 3 || kw == 5)))) {
    correlateFilterGrad(a, b, out, batch, h, w, c, oh, ow, kh, kw, sh, sw, dh, dw, top, left);
    return;
  }
  if (inputGrad && (vector || narrow) && sh == 1 && sw == 1) {
    // At stride 1, dx is dy correlated with the flipped filter, padded by the rest of the effective filter.
    correlate(a, b, out, batch, oh, ow, c, h, w, kh, kw, 1, 1, dh, dw, (kh - 1) * dh - top, (kw - 1) * dw - left, true);
    return;
  }
  const size = forward ? batch * oh * ow * c : inputGrad ? batch * h * w * c : kh * kw * c;
  memory.fill(out, 0, <usize>(size * F));
  const xBase = inputGrad ? out : a; // the input-space tensor: x, or dx
  const yBase = forward ? out : inputGrad ? a : b; // the output-space tensor: y, or dy
  const filter = forward || inputGrad ? b : out;
  const cb = <usize>(c * F);
  const xStep = <usize>sw * cb;
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < oh; i++) {
      const yRow = yBase + <usize>((n * oh + i) * ow) * cb;
      for (let u = 0; u < kh; u++) {
        const r = i * sh + u * dh - top;
        if (r < 0 || r >= h) continue;
        const xRow = xBase + <usize>((n * h + r) * w) * cb;
        for (let v = 0; v < kw; v++) {
          const off = v * dw - left;
          const j0 = firstColumn(off, sw);
          const j1 = endColumn(off, sw, w, ow);
          if (j1 <= j0) continue;
          const tap = filter + <usize>((u * kw + v) * c * F);
          const px = xRow + <usize>(j0 * sw + off) * cb;
          const py = yRow + <usize>j0 * cb;
          if (forward) accumulateTap(py, cb, px, xStep, tap, j1 - j0, c);
          else if (inputGrad) accumulateTap(px, xStep, py, cb, tap, j1 - j0, c);
          else sumTap(px, xStep, py, tap, j1 - j0, c);
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Per-channel statistics and affine maps of NHWC tensors, walked flat: with `period` a multiple of both the channel
// count and 4 (lcm(C, 4)), element i belongs to lane i % period, whose channel is (i % period) % C, so every
// channel count vectorises alike. Sums are accumulated in float64 per lane (`out64`, `period` doubles; the caller
// folds lanes to channels), products formed in float64 too, so they match a float64 loop up to summation order.
// Patterns (`pA`, `pB`, `pC`: `period` floats each) hold a per-channel value at every lane.

function low(v: v128): v128 {
  return f64x2.promote_low_f32x4(v);
}

function high(v: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1));
}

/**
 * out64[q] = sum of a[i] (or of a[i] * b[i] when b is not 0) over i = q mod period, i < n. With c not 0, also
 * writes c[i] = a[i] - pA[i mod period] (float32) and sums the squares of that instead (batch norm's centring).
 * With b and `both`, out64[period + q] also gets the sums of a[i] (batch norm's backward: both in one pass).
 */
export function periodicSums(
  a: usize,
  b: usize,
  c: usize,
  pA: usize,
  n: i32,
  period: i32,
  out64: usize,
  both: bool,
): void {
  const plain = both && b != 0 && c == 0;
  const second = out64 + <usize>(period * 8);
  memory.fill(out64, 0, <usize>(period * (plain ? 16 : 8)));
  const rows = n / period;
  const rowBytes = <usize>(period * F);
  let pa = a;
  let pb = b;
  let pc = c;
  if (period == 4) {
    // One vector per row: the two float64 halves stay in registers.
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    let p0 = f64x2.splat(0);
    let p1 = f64x2.splat(0);
    const m = v128.load(pA);
    for (let r = 0; r < rows; r++) {
      const v = v128.load(pa);
      if (c != 0) {
        const d = f32x4.sub(v, m);
        v128.store(pc, d);
        const d0 = low(d);
        const d1 = high(d);
        s0 = f64x2.add(s0, f64x2.mul(d0, d0));
        s1 = f64x2.add(s1, f64x2.mul(d1, d1));
        pc += 16;
      } else if (b != 0) {
        const w = v128.load(pb);
        const v0 = low(v);
        const v1 = high(v);
        s0 = f64x2.add(s0, f64x2.mul(v0, low(w)));
        s1 = f64x2.add(s1, f64x2.mul(v1, high(w)));
        if (plain) {
          p0 = f64x2.add(p0, v0);
          p1 = f64x2.add(p1, v1);
        }
        pb += 16;
      } else {
        s0 = f64x2.add(s0, low(v));
        s1 = f64x2.add(s1, high(v));
      }
      pa += 16;
    }
    v128.store(out64, s0);
    v128.store(out64, s1, 16);
    if (plain) {
      v128.store(second, p0);
      v128.store(second, p1, 16);
    }
  } else {
    for (let r = 0; r < rows; r++) {
      let po = out64;
      for (let q: usize = 0; q < rowBytes; q += 16) {
        const v = v128.load(pa + q);
        let v0: v128;
        let v1: v128;
        if (c != 0) {
          const d = f32x4.sub(v, v128.load(pA + q));
          v128.store(pc + q, d);
          v0 = low(d);
          v1 = high(d);
          v0 = f64x2.mul(v0, v0);
          v1 = f64x2.mul(v1, v1);
        } else if (b != 0) {
          const w = v128.load(pb + q);
          v0 = low(v);
          v1 = high(v);
          if (plain) {
            const pp = po + <usize>(period * 8);
            v128.store(pp, f64x2.add(v128.load(pp), v0));
            v128.store(pp, f64x2.add(v128.load(pp, 16), v1), 16);
          }
          v0 = f64x2.mul(v0, low(w));
          v1 = f64x2.mul(v1, high(w));
        } else {
          v0 = low(v);
          v1 = high(v);
        }
        v128.store(po, f64x2.add(v128.load(po), v0));
        v128.store(po, f64x2.add(v128.load(po, 16), v1), 16);
        po += 32;
      }
      pa += rowBytes;
      pb += rowBytes;
      pc += rowBytes;
    }
  }
  // The last partial row (n is a multiple of the channel count, not always of the period).
  for (let i = rows * period, q = 0; i < n; i++, q++) {
    let v = <f64>load<f32>(a + <usize>(i * F));
    if (c != 0) {
      const d = load<f32>(a + <usize>(i * F)) - load<f32>(pA + <usize>(q * F));
      store<f32>(c + <usize>(i * F), d);
      v = <f64>d * <f64>d;
    } else if (b != 0) {
      if (plain) store<f64>(second + <usize>(q * 8), load<f64>(second + <usize>(q * 8)) + v);
      v *= <f64>load<f32>(b + <usize>(i * F));
    }
    const o = out64 + <usize>(q * 8);
    store<f64>(o, load<f64>(o) + v);
  }
}

/**
 * Per-channel means over `rows` rows of `c` channels (c a multiple of 4) as the engine's wasm Mean sums them
 * (src/kernels/wasm-reduce.ts sumRows): in double precision into acc64 (c doubles, zeroed here), rows in order, each
 * term x / rows rounded to float32. With pM not 0 the terms are (x - pM[channel])^2 / rows, the deviation and its
 * square rounded to float32 first (Sub and Square): the variance of tf.moments.
 */
export function channelMeans(x: usize, rows: i32, c: i32, pM: usize, acc64: usize): void {
  memory.fill(acc64, 0, <usize>(c * 8));
  const divisor = f32x4.splat(<f32>rows);
  const rowBytes = <usize>(c * F);
  let px = x;
  for (let r = 0; r < rows; r++) {
    for (let q: usize = 0; q < rowBytes; q += 16) {
      let v = v128.load(px + q);
      if (pM != 0) {
        const d = f32x4.sub(v, v128.load(pM + q));
        v = f32x4.mul(d, d);
      }
      v = f32x4.div(v, divisor);
      const pa = acc64 + 2 * q;
      v128.store(pa, f64x2.add(v128.load(pa), low(v)));
      v128.store(pa + 16, f64x2.add(v128.load(pa + 16), high(v)));
    }
    px += rowBytes;
  }
}

/**
 * y[i] = (x[i] - pM[i mod period]) * pF[i mod period], each step rounded to float32 (the subtract and multiply of
 * inference with batch statistics, BatchNorm2d's group standardisation, in one pass).
 */
export function periodicCenterScale(x: usize, y: usize, pM: usize, pF: usize, n: i32, period: i32): void {
  const rows = n / period;
  const rowBytes = <usize>(period * F);
  let px = x;
  let py = y;
  for (let r = 0; r < rows; r++) {
    for (let q: usize = 0; q < rowBytes; q += 16) {
      v128.store(py + q, f32x4.mul(f32x4.sub(v128.load(px + q), v128.load(pM + q)), v128.load(pF + q)));
    }
    px += rowBytes;
    py += rowBytes;
  }
  for (let i = rows * period, q = 0; i < n; i++, q++) {
    const qb = <usize>(q * F);
    store<f32>(y + <usize>(i * F), (load<f32>(x + <usize>(i * F)) - load<f32>(pM + qb)) * load<f32>(pF + qb));
  }
}

/**
 * c[i] = x[i] - pM[i mod period] and y[i] = c[i] * pF[i mod period] + pS[i mod period], in one pass (batch norm's
 * forward with engine threads, once the whole batch's mean is known): the float32 roundings of periodicSums'
 * centring and periodicAffine.
 */
export function periodicCenter(
  x: usize,
  c: usize,
  y: usize,
  pM: usize,
  pF: usize,
  pS: usize,
  n: i32,
  period: i32,
): void {
  const rows = n / period;
  const rowBytes = <usize>(period * F);
  let px = x;
  let pc = c;
  let py = y;
  for (let r = 0; r < rows; r++) {
    for (let q: usize = 0; q < rowBytes; q += 16) {
      const d = f32x4.sub(v128.load(px + q), v128.load(pM + q));
      v128.store(pc + q, d);
      v128.store(py + q, f32x4.add(f32x4.mul(d, v128.load(pF + q)), v128.load(pS + q)));
    }
    px += rowBytes;
    pc += rowBytes;
    py += rowBytes;
  }
  for (let i = rows * period, q = 0; i < n; i++, q++) {
    const qb = <usize>(q * F);
    const d = load<f32>(x + <usize>(i * F)) - load<f32>(pM + qb);
    store<f32>(c + <usize>(i * F), d);
    store<f32>(y + <usize>(i * F), d * load<f32>(pF + qb) + load<f32>(pS + qb));
  }
}

/** out[i] = a[i] * pA[i mod period] + b[i] * pB[i mod period] + pC[i mod period]; b may be 0 (no second term). */
export function periodicAffine(
  a: usize,
  b: usize,
  out: usize,
  pA: usize,
  pB: usize,
  pC: usize,
  n: i32,
  period: i32,
): void {
  const rows = n / period;
  const rowBytes = <usize>(period * F);
  let pa = a;
  let pb = b;
  let po = out;
  if (period == 4) {
    const ma = v128.load(pA);
    const mb = v128.load(pB);
    const mc = v128.load(pC);
    for (let r = 0; r < rows; r++) {
      let v = f32x4.add(f32x4.mul(v128.load(pa), ma), mc);
      if (b != 0) {
        v = f32x4.add(v, f32x4.mul(v128.load(pb), mb));
        pb += 16;
      }
      v128.store(po, v);
      pa += 16;
      po += 16;
    }
  } else {
    for (let r = 0; r < rows; r++) {
      for (let q: usize = 0; q < rowBytes; q += 16) {
        let v = f32x4.add(f32x4.mul(v128.load(pa + q), v128.load(pA + q)), v128.load(pC + q));
        if (b != 0) v = f32x4.add(v, f32x4.mul(v128.load(pb + q), v128.load(pB + q)));
        v128.store(po + q, v);
      }
      pa += rowBytes;
      pb += rowBytes;
      po += rowBytes;
    }
  }
  for (let i = rows * period, q = 0; i < n; i++, q++) {
    const qb = <usize>(q * F);
    let v = load<f32>(a + <usize>(i * F)) * load<f32>(pA + qb) + load<f32>(pC + qb);
    if (b != 0) v += load<f32>(b + <usize>(i * F)) * load<f32>(pB + qb);
    store<f32>(out + <usize>(i * F), v);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The supernet's mixing: out = sum over terms t of w[g, t] * x_t, where the batch is G groups of `groupSize`
// floats and every term x_t has out's shape. `terms` holds the terms' heap offsets (i32 each), `weights` G rows of
// n floats. Walked in chunks that stay in cache, so each term is read once and out written once.

const CHUNK = 1024; // floats

export function weightedSum(terms: usize, weights: usize, n: i32, out: usize, groups: i32, groupSize: i32): void {
  for (let g = 0; g < groups; g++) {
    const base = <usize>(g * groupSize) * F;
    const row = weights + <usize>(g * n * F);
    for (let c0 = 0; c0 < groupSize; c0 += CHUNK) {
      const len = min(CHUNK, groupSize - c0);
      const start = base + <usize>(c0 * F);
      const vecEnd = <usize>((len & ~3) * F);
      const end = <usize>(len * F);
      const po = out + start;
      for (let t = 0; t < n; t++) {
        const px = <usize>load<i32>(terms + <usize>(t * 4)) + start;
        const ws = load<f32>(row + <usize>(t * F));
        const wv = f32x4.splat(ws);
        if (t == 0) {
          for (let q: usize = 0; q < vecEnd; q += 16) v128.store(po + q, f32x4.mul(v128.load(px + q), wv));
          for (let q = vecEnd; q < end; q += 4) store<f32>(po + q, load<f32>(px + q) * ws);
        } else {
          for (let q: usize = 0; q < vecEnd; q += 16) addTo(po + q, f32x4.mul(v128.load(px + q), wv));
          for (let q = vecEnd; q < end; q += 4) store<f32>(po + q, load<f32>(po + q) + load<f32>(px + q) * ws);
        }
      }
    }
  }
}

/** The gradients of weightedSum: dx_t = w[g, t] * dy for every term, each written to the offset in `outs`. */
export function weightedSumGrad(dy: usize, weights: usize, n: i32, outs: usize, groups: i32, groupSize: i32): void {
  for (let g = 0; g < groups; g++) {
    const base = <usize>(g * groupSize) * F;
    const row = weights + <usize>(g * n * F);
    for (let c0 = 0; c0 < groupSize; c0 += CHUNK) {
      const len = min(CHUNK, groupSize - c0);
      const start = base + <usize>(c0 * F);
      const vecEnd = <usize>((len & ~3) * F);
      const end = <usize>(len * F);
      const pd = dy + start;
      for (let t = 0; t < n; t++) {
        const po = <usize>load<i32>(outs + <usize>(t * 4)) + start;
        const ws = load<f32>(row + <usize>(t * F));
        const wv = f32x4.splat(ws);
        for (let q: usize = 0; q < vecEnd; q += 16) v128.store(po + q, f32x4.mul(v128.load(pd + q), wv));
        for (let q = vecEnd; q < end; q += 4) store<f32>(po + q, load<f32>(pd + q) * ws);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Strided copies (slices, splits, concatenations): `count` runs of `runBytes` bytes, the i-th from src + i *
// srcStride to dst + i * dstStride. Runs go 16 bytes at a time, then 4, then 1 (bool tensors are bytes).

export function copyRuns(
  src: usize,
  srcStride: usize,
  dst: usize,
  dstStride: usize,
  count: i32,
  runBytes: usize,
): void {
  const vec = runBytes & ~(<usize>15);
  const words = runBytes & ~(<usize>3);
  for (let r = 0; r < count; r++) {
    let q: usize = 0;
    for (; q < vec; q += 16) v128.store(dst + q, v128.load(src + q));
    for (; q < words; q += 4) store<i32>(dst + q, load<i32>(src + q));
    for (; q < runBytes; q++) store<u8>(dst + q, load<u8>(src + q));
    src += srcStride;
    dst += dstStride;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// ReLU's gradient from its output: dx = dy where y > 0, else 0 (one pass, where a step and a multiply took two).

export function reluGrad(dy: usize, y: usize, dx: usize, n: i32): void {
  const vecEnd = <usize>((n & ~3) * F);
  const end = <usize>(n * F);
  const zero = f32x4.splat(0);
  let q: usize = 0;
  for (; q < vecEnd; q += 16) v128.store(dx + q, v128.and(v128.load(dy + q), f32x4.gt(v128.load(y + q), zero)));
  for (; q < end; q += 4) store<f32>(dx + q, load<f32>(y + q) > 0 ? load<f32>(dy + q) : 0);
}

// ---------------------------------------------------------------------------------------------------------------
// im2col of NHWC x for a k x k convolution: row p = (n, i, j) of `cols` holds the receptive field of output pixel
// p, tap by tap ((u * kw + v) * C + channel), zeros where a tap falls on padding. With gemmTN it gives the filter
// gradient of a small-channel convolution (the stem's 3x3 on 3 channels) as one matrix product.

export function im2col(
  x: usize,
  cols: usize,
  batch: i32,
  h: i32,
  w: i32,
  c: i32,
  oh: i32,
  ow: i32,
  kh: i32,
  kw: i32,
  sh: i32,
  sw: i32,
  dh: i32,
  dw: i32,
  top: i32,
  left: i32,
): void {
  const cb = <usize>(c * F);
  const vec = cb & ~(<usize>15);
  let dst = cols;
  for (let n = 0; n < batch; n++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let u = 0; u < kh; u++) {
          const r = i * sh + u * dh - top;
          for (let v = 0; v < kw; v++) {
            const q = j * sw + v * dw - left;
            if (r < 0 || r >= h || q < 0 || q >= w) {
              memory.fill(dst, 0, cb);
            } else {
              const src = x + <usize>((n * h + r) * w + q) * cb;
              let b: usize = 0;
              for (; b < vec; b += 16) v128.store(dst + b, v128.load(src + b));
              for (; b < cb; b += 4) store<f32>(dst + b, load<f32>(src + b));
            }
            dst += cb;
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// One SGD step with momentum and weight decay (src/optim/optimizer.ts, PyTorch's semantics), four floats at a time:
// g' = g * scale (flag 1), d = g' + w * decay (flag 2), u = buf * mom + d (flag 4: a buffer, else u = d), written to
// nb (flag 8), w' = w - u * rate. Each is one float32 operation, so the bits are those of the composed ops (and of
// the JavaScript loop, which rounds each double result to float32). `buf` and `nb` are 0 where their flag is unset.

export const SGD_SCALE = 1;
export const SGD_DECAY = 2;
export const SGD_BUFFER = 4;
export const SGD_WRITE_BUFFER = 8;

export function sgdStep(
  w: usize,
  g: usize,
  buf: usize,
  nw: usize,
  nb: usize,
  n: i32,
  scale: f32,
  decay: f32,
  mom: f32,
  rate: f32,
  flags: i32,
): void {
  const vecEnd = <usize>((n & ~3) * F);
  const end = <usize>(n * F);
  const vScale = f32x4.splat(scale);
  const vDecay = f32x4.splat(decay);
  const vMom = f32x4.splat(mom);
  const vRate = f32x4.splat(rate);
  const scaled = (flags & SGD_SCALE) != 0;
  const decays = (flags & SGD_DECAY) != 0;
  const buffered = (flags & SGD_BUFFER) != 0;
  const writes = (flags & SGD_WRITE_BUFFER) != 0;
  let q: usize = 0;
  for (; q < vecEnd; q += 16) {
    const wi = v128.load(w + q);
    let d = v128.load(g + q);
    if (scaled) d = f32x4.mul(d, vScale);
    if (decays) d = f32x4.add(d, f32x4.mul(wi, vDecay));
    if (buffered) d = f32x4.add(f32x4.mul(v128.load(buf + q), vMom), d);
    if (writes) v128.store(nb + q, d);
    v128.store(nw + q, f32x4.sub(wi, f32x4.mul(d, vRate)));
  }
  for (; q < end; q += 4) {
    const wi = load<f32>(w + q);
    let d = load<f32>(g + q);
    if (scaled) d = d * scale;
    if (decays) d = d + wi * decay;
    if (buffered) d = load<f32>(buf + q) * mom + d;
    if (writes) store<f32>(nb + q, d);
    store<f32>(nw + q, wi - d * rate);
  }
}
