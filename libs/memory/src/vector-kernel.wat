;; Dot products of one query against many rows, 4 lanes at a time (WebAssembly SIMD).
;; Compiled to vector-kernel.wasm.ts by `node scripts/build-wasm.js`; a unit spec checks the two agree.
;;
;; scan(rows, query, out, count, dim):
;;   rows   byte offset of count × dim float32 values (row-major)
;;   query  byte offset of dim float32 values
;;   out    byte offset of count float32 results
;;   dim    a multiple of 16 (callers pad with zeros)
;; Four accumulators, so consecutive f32x4 adds do not wait on each other.
(module
  (memory (export "memory") 1)
  (func (export "scan") (param $rows i32) (param $query i32) (param $out i32) (param $count i32) (param $dim i32)
    (local $r i32)
    (local $p i32)
    (local $q i32)
    (local $end i32)
    (local $a v128)
    (local $b v128)
    (local $c v128)
    (local $d v128)
    (local $stride i32)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (local.set $p (local.get $rows))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $r) (local.get $count)))
        (local.set $a (v128.const f32x4 0 0 0 0))
        (local.set $b (v128.const f32x4 0 0 0 0))
        (local.set $c (v128.const f32x4 0 0 0 0))
        (local.set $d (v128.const f32x4 0 0 0 0))
        (local.set $q (local.get $query))
        (local.set $end (i32.add (local.get $p) (local.get $stride)))
        (block $row_done
          (loop $lane
            (br_if $row_done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $a
              (f32x4.add (local.get $a)
                (f32x4.mul (v128.load (local.get $p)) (v128.load (local.get $q)))))
            (local.set $b
              (f32x4.add (local.get $b)
                (f32x4.mul (v128.load offset=16 (local.get $p)) (v128.load offset=16 (local.get $q)))))
            (local.set $c
              (f32x4.add (local.get $c)
                (f32x4.mul (v128.load offset=32 (local.get $p)) (v128.load offset=32 (local.get $q)))))
            (local.set $d
              (f32x4.add (local.get $d)
                (f32x4.mul (v128.load offset=48 (local.get $p)) (v128.load offset=48 (local.get $q)))))
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (local.set $q (i32.add (local.get $q) (i32.const 64)))
            (br $lane)))
        (local.set $a (f32x4.add (f32x4.add (local.get $a) (local.get $b)) (f32x4.add (local.get $c) (local.get $d))))
        (f32.store (local.get $out)
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
            (f32.add (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $row))))
)
