;; @db/backend's own wasm SIMD kernels, run on the wasm backend's memory (./simd-kernel.ts loads them):
;; filterGrad and blockChannels (the conv weight gradient, ../conv/simd_filter_grad.ts), maxPoolGrad
;; (../conv/max_pool_grad.ts) and adamUpdate (../../gradients/lean-adam.ts).
;; `pnpm --filter @db/backend build:wasm` assembles this file into simd_kernels.wasm.ts (a test checks that the two
;; agree).
;;
;; filterGrad: for the units u in [u0, u1), unit = (tap t, block of 4 input channels),
;;   dw[t, ci, co] += sum over dy rows q in [0, rows), pixels p in [0, wo) of
;;                    x[rowBase[q] + offs[t] + p*xstep, ci] * dy[q*wo + p, co]
;; with ci a multiple of 4 and co of 8 (the caller pads channels), and every place in bytes:
;;   x value (cell ci) at xg + (cell offset) + (ci/4)*xBlock + (ci%4)*4   (rowBase, offs and xstep in bytes)
;;   dy value (pixel, co) at dy + pixel*dyPixel + (co/8)*dyBlock + (co%8)*4
;;   dw value (t, ci, co) at out + ((t*ci_count + ci)*co_count + co)*4
;; so x and dy can be NHWC (xBlock = 16; dyPixel = 4*co, dyBlock = 32) or blocked by channels (xBlock = 16*cells;
;; dyPixel = 32, dyBlock = 32*pixels), which keeps a block's values contiguous. dy's rows follow one another.
;; A 4x8 block of dw (4 input x 8 output channels) stays in 8 v128 registers over `chunk` dy rows at a time; each
;; pixel costs 4 splat loads of x, 2 vector loads of dy and 8 multiplies + 8 adds.
(module
  (import "env" "memory" (memory 1 65536 shared))
  (func (export "filterGrad")
    (param $xg i32) (param $dy i32) (param $out i32) (param $offs i32) (param $rowBase i32)
    (param $ci i32) (param $co i32) (param $wo i32) (param $rows i32) (param $chunk i32)
    (param $u0 i32) (param $u1 i32) (param $xstep i32)
    (param $xBlock i32) (param $dyPixel i32) (param $dyBlock i32)
    (local $q0 i32) (local $q1 i32) (local $q i32) (local $u i32) (local $t i32) (local $cb i32) (local $xu i32)
    (local $co0 i32) (local $outp i32) (local $xp i32) (local $dyp i32) (local $p i32) (local $rp i32)
    (local $os i32) (local $cib i32) (local $dyRow i32)
    (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    ;; Bytes per dw row and per dy row; input-channel blocks of 4.
    (local.set $os (i32.shl (local.get $co) (i32.const 2)))
    (local.set $dyRow (i32.mul (local.get $wo) (local.get $dyPixel)))
    (local.set $cib (i32.shr_u (local.get $ci) (i32.const 2)))
    (local.set $q0 (i32.const 0))
    (block $chunksDone
      (loop $chunks
        (br_if $chunksDone (i32.ge_u (local.get $q0) (local.get $rows)))
        (local.set $q1 (i32.add (local.get $q0) (local.get $chunk)))
        (if (i32.gt_u (local.get $q1) (local.get $rows)) (then (local.set $q1 (local.get $rows))))
        (local.set $u (local.get $u0))
        (block $unitsDone
          (loop $units
            (br_if $unitsDone (i32.ge_u (local.get $u) (local.get $u1)))
            (local.set $t (i32.div_u (local.get $u) (local.get $cib)))
            (local.set $cb (i32.sub (local.get $u) (i32.mul (local.get $t) (local.get $cib))))
            ;; xu: this unit's x values at row offset 0.
            (local.set $xu
              (i32.add (i32.add (local.get $xg) (i32.load (i32.add (local.get $offs) (i32.shl (local.get $t) (i32.const 2)))))
                       (i32.mul (local.get $cb) (local.get $xBlock))))
            (local.set $co0 (i32.const 0))
            (block $cosDone
              (loop $cos
                (br_if $cosDone (i32.ge_u (local.get $co0) (local.get $co)))
                ;; outp = out + ((t*ci + 4*cb)*co + co0)*4
                (local.set $outp
                  (i32.add (local.get $out)
                    (i32.shl
                      (i32.add
                        (i32.mul
                          (i32.add (i32.mul (local.get $t) (local.get $ci)) (i32.shl (local.get $cb) (i32.const 2)))
                          (local.get $co))
                        (local.get $co0))
                      (i32.const 2))))
                (local.set $c00 (v128.load (local.get $outp)))
                (local.set $c01 (v128.load offset=16 (local.get $outp)))
                (local.set $c10 (v128.load (i32.add (local.get $outp) (local.get $os))))
                (local.set $c11 (v128.load offset=16 (i32.add (local.get $outp) (local.get $os))))
                (local.set $c20 (v128.load (i32.add (local.get $outp) (i32.shl (local.get $os) (i32.const 1)))))
                (local.set $c21 (v128.load offset=16 (i32.add (local.get $outp) (i32.shl (local.get $os) (i32.const 1)))))
                (local.set $c30 (v128.load (i32.add (local.get $outp) (i32.mul (local.get $os) (i32.const 3)))))
                (local.set $c31 (v128.load offset=16 (i32.add (local.get $outp) (i32.mul (local.get $os) (i32.const 3)))))
                (local.set $dyp
                  (i32.add (i32.add (local.get $dy) (i32.mul (local.get $q0) (local.get $dyRow)))
                           (i32.mul (i32.shr_u (local.get $co0) (i32.const 3)) (local.get $dyBlock))))
                (local.set $rp (i32.add (local.get $rowBase) (i32.shl (local.get $q0) (i32.const 2))))
                (local.set $q (local.get $q0))
                (block $rowsDone
                  (loop $rowsLoop
                    (br_if $rowsDone (i32.ge_u (local.get $q) (local.get $q1)))
                    (local.set $xp (i32.add (local.get $xu) (i32.load (local.get $rp))))
                    (local.set $p (local.get $wo))
                    (loop $pixels
                      (local.set $b0 (v128.load (local.get $dyp)))
                      (local.set $b1 (v128.load offset=16 (local.get $dyp)))
                      (local.set $a (v128.load32_splat (local.get $xp)))
                      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
                      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
                      (local.set $a (v128.load32_splat offset=4 (local.get $xp)))
                      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
                      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
                      (local.set $a (v128.load32_splat offset=8 (local.get $xp)))
                      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
                      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
                      (local.set $a (v128.load32_splat offset=12 (local.get $xp)))
                      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
                      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
                      (local.set $xp (i32.add (local.get $xp) (local.get $xstep)))
                      (local.set $dyp (i32.add (local.get $dyp) (local.get $dyPixel)))
                      (br_if $pixels (local.tee $p (i32.sub (local.get $p) (i32.const 1)))))
                    (local.set $rp (i32.add (local.get $rp) (i32.const 4)))
                    (local.set $q (i32.add (local.get $q) (i32.const 1)))
                    (br $rowsLoop)))
                (v128.store (local.get $outp) (local.get $c00))
                (v128.store offset=16 (local.get $outp) (local.get $c01))
                (v128.store (i32.add (local.get $outp) (local.get $os)) (local.get $c10))
                (v128.store offset=16 (i32.add (local.get $outp) (local.get $os)) (local.get $c11))
                (v128.store (i32.add (local.get $outp) (i32.shl (local.get $os) (i32.const 1))) (local.get $c20))
                (v128.store offset=16 (i32.add (local.get $outp) (i32.shl (local.get $os) (i32.const 1))) (local.get $c21))
                (v128.store (i32.add (local.get $outp) (i32.mul (local.get $os) (i32.const 3))) (local.get $c30))
                (v128.store offset=16 (i32.add (local.get $outp) (i32.mul (local.get $os) (i32.const 3))) (local.get $c31))
                (local.set $co0 (i32.add (local.get $co0) (i32.const 8)))
                (br $cos)))
            (local.set $u (i32.add (local.get $u) (i32.const 1)))
            (br $units)))
        (local.set $q0 (local.get $q1))
        (br $chunks))))

  ;; The channel-blocked layout's copy (see filterGrad's layouts): for row q < rows, pixel p < rowPixels, block
  ;; b < blocks, the blockBytes (16 or 32) bytes at src + q*srcRow + p*srcPixel + b*blockBytes go to
  ;; dst + b*dstPlane + (q*dstRow + p)*blockBytes. The caller's channel count is a multiple of blockBytes/4, so
  ;; every load stays inside its pixel; blocks >= 1.
  (func (export "blockChannels")
    (param $src i32) (param $dst i32) (param $rows i32) (param $rowPixels i32)
    (param $srcRow i32) (param $srcPixel i32) (param $dstRow i32)
    (param $blocks i32) (param $blockBytes i32) (param $dstPlane i32)
    (local $q i32) (local $p i32) (local $b i32) (local $sp i32) (local $dp i32)
    (local.set $q (i32.const 0))
    (block $rowsDone
      (loop $rowsLoop
        (br_if $rowsDone (i32.ge_u (local.get $q) (local.get $rows)))
        (local.set $p (i32.const 0))
        (block $pixelsDone
          (loop $pixels
            (br_if $pixelsDone (i32.ge_u (local.get $p) (local.get $rowPixels)))
            (local.set $sp
              (i32.add (i32.add (local.get $src) (i32.mul (local.get $q) (local.get $srcRow)))
                       (i32.mul (local.get $p) (local.get $srcPixel))))
            (local.set $dp
              (i32.add (local.get $dst)
                       (i32.mul (i32.add (i32.mul (local.get $q) (local.get $dstRow)) (local.get $p)) (local.get $blockBytes))))
            (local.set $b (local.get $blocks))
            (loop $blocksLoop
              (v128.store (local.get $dp) (v128.load (local.get $sp)))
              (if (i32.eq (local.get $blockBytes) (i32.const 32))
                (then (v128.store offset=16 (local.get $dp) (v128.load offset=16 (local.get $sp)))))
              (local.set $sp (i32.add (local.get $sp) (local.get $blockBytes)))
              (local.set $dp (i32.add (local.get $dp) (local.get $dstPlane)))
              (br_if $blocksLoop (local.tee $b (i32.sub (local.get $b) (i32.const 1)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $pixels)))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $rowsLoop))))

  ;; MaxPoolGrad over `count` output pixels whose windows have the same shape: pixel i's window values are at
  ;; x + i*xstep + offs[j] (bytes, j < m, in row-major window order), its gradient at dy + i*4*c; per channel the
  ;; first value strictly greater than all before it (as the cpu backend's maxPoolPositions; NaN never wins, an
  ;; all -Infinity window gives nothing) gets dy added to dx, which is laid out as x (dx - x is `toDx` bytes).
  ;; With `store` set (windows that never overlap), each window's dx values are written instead of added to.
  ;; c is a multiple of 4; m >= 1.
  (func (export "maxPoolGrad")
    (param $x i32) (param $dy i32) (param $toDx i32) (param $offs i32) (param $m i32) (param $c i32)
    (param $count i32) (param $xstep i32) (param $store i32)
    (local $i i32) (local $kb i32) (local $cb i32) (local $j i32) (local $xp i32) (local $dyp i32) (local $at i32)
    (local $best v128) (local $idx v128) (local $v v128) (local $gt v128) (local $g v128) (local $sel v128)
    (local.set $cb (i32.shl (local.get $c) (i32.const 2)))
    (local.set $xp (local.get $x))
    (local.set $dyp (local.get $dy))
    (local.set $i (local.get $count))
    (block $pixelsDone
      (loop $pixels
        (br_if $pixelsDone (i32.eqz (local.get $i)))
        (local.set $kb (i32.const 0))
        (block $channelsDone
          (loop $channels
            (br_if $channelsDone (i32.ge_u (local.get $kb) (local.get $cb)))
            (local.set $best (f32x4.splat (f32.const -inf)))
            (local.set $idx (i32x4.splat (i32.const -1)))
            (local.set $j (i32.const 0))
            (loop $argmax
              (local.set $v
                (v128.load (i32.add (i32.add (local.get $xp) (local.get $kb))
                                    (i32.load (i32.add (local.get $offs) (i32.shl (local.get $j) (i32.const 2)))))))
              (local.set $gt (f32x4.gt (local.get $v) (local.get $best)))
              (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $gt)))
              (local.set $idx (v128.bitselect (i32x4.splat (local.get $j)) (local.get $idx) (local.get $gt)))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $argmax (i32.lt_u (local.get $j) (local.get $m))))
            (local.set $g (v128.load (i32.add (local.get $dyp) (local.get $kb))))
            (local.set $j (i32.const 0))
            (loop $scatter
              (local.set $sel (i32x4.eq (local.get $idx) (i32x4.splat (local.get $j))))
              (local.set $at
                (i32.add (i32.add (i32.add (local.get $xp) (local.get $toDx)) (local.get $kb))
                         (i32.load (i32.add (local.get $offs) (i32.shl (local.get $j) (i32.const 2))))))
              (if (local.get $store)
                (then (v128.store (local.get $at) (v128.and (local.get $g) (local.get $sel))))
                (else
                  (if (v128.any_true (local.get $sel))
                    (then
                      (v128.store (local.get $at)
                        (f32x4.add (v128.load (local.get $at)) (v128.and (local.get $g) (local.get $sel))))))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (br_if $scatter (i32.lt_u (local.get $j) (local.get $m))))
            (local.set $kb (i32.add (local.get $kb) (i32.const 16)))
            (br $channels)))
        (local.set $xp (i32.add (local.get $xp) (local.get $xstep)))
        (local.set $dyp (i32.add (local.get $dyp) (local.get $cb)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (br $pixels))))

  ;; Adam's update of n values (n a multiple of 4), op for op as tfjs-core's AdamOptimizer computes it in float32:
  ;;   m' = m*b1 + g*c1,  v' = v*b2 + (g*g)*c2,  w' = ((m'/d1) / (sqrt(v'/d2) + eps)) * negLr + w
  ;; with c1 = 1 - b1, c2 = 1 - b2, d1 = 1 - b1^t, d2 = 1 - b2^t and negLr = -learning rate rounded to float32 as
  ;; tfjs makes its scalars, so the results are bit-identical to its ops (each one IEEE-rounded, none fused).
  (func (export "adamUpdate")
    (param $w i32) (param $m i32) (param $v i32) (param $g i32) (param $ow i32) (param $om i32) (param $ov i32)
    (param $n i32)
    (param $b1 f32) (param $c1 f32) (param $b2 f32) (param $c2 f32) (param $d1 f32) (param $d2 f32) (param $eps f32)
    (param $negLr f32)
    (local $at i32) (local $end i32) (local $gv v128) (local $mv v128) (local $vv v128)
    (local $B1 v128) (local $C1 v128) (local $B2 v128) (local $C2 v128) (local $D1 v128) (local $D2 v128)
    (local $E v128) (local $L v128)
    (local.set $B1 (f32x4.splat (local.get $b1)))
    (local.set $C1 (f32x4.splat (local.get $c1)))
    (local.set $B2 (f32x4.splat (local.get $b2)))
    (local.set $C2 (f32x4.splat (local.get $c2)))
    (local.set $D1 (f32x4.splat (local.get $d1)))
    (local.set $D2 (f32x4.splat (local.get $d2)))
    (local.set $E (f32x4.splat (local.get $eps)))
    (local.set $L (f32x4.splat (local.get $negLr)))
    (local.set $at (i32.const 0))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $values
        (br_if $done (i32.ge_u (local.get $at) (local.get $end)))
        (local.set $gv (v128.load (i32.add (local.get $g) (local.get $at))))
        (local.set $mv
          (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $at))) (local.get $B1))
                     (f32x4.mul (local.get $gv) (local.get $C1))))
        (local.set $vv
          (f32x4.add (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $at))) (local.get $B2))
                     (f32x4.mul (f32x4.mul (local.get $gv) (local.get $gv)) (local.get $C2))))
        (v128.store (i32.add (local.get $om) (local.get $at)) (local.get $mv))
        (v128.store (i32.add (local.get $ov) (local.get $at)) (local.get $vv))
        (v128.store (i32.add (local.get $ow) (local.get $at))
          (f32x4.add
            (f32x4.mul
              (f32x4.div (f32x4.div (local.get $mv) (local.get $D1))
                         (f32x4.add (f32x4.sqrt (f32x4.div (local.get $vv) (local.get $D2))) (local.get $E)))
              (local.get $L))
            (v128.load (i32.add (local.get $w) (local.get $at)))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $values))))
)
