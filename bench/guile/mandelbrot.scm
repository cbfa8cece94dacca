;; mandelbrot: float loop; counts the grid points whose orbit stays within
;; radius 2 for max-iter steps.
(define size 300)
(define max-iter 400)

(define (inside? cr ci)
  (let loop ((zr 0.0) (zi 0.0) (i 0))
    (if (< i max-iter)
        (let ((zr2 (* zr zr)) (zi2 (* zi zi)))
          (if (> (+ zr2 zi2) 4.0)
              #f
              (loop (+ (- zr2 zi2) cr) (+ (* 2.0 (* zr zi)) ci) (+ i 1))))
        #t)))

(define (count size)
  (let yloop ((y 0) (n 0))
    (if (< y size)
        (let ((ci (- (/ (* 2.0 y) size) 1.0)))
          (yloop (+ y 1)
                 (let xloop ((x 0) (n n))
                   (if (< x size)
                       (xloop (+ x 1) (if (inside? (- (/ (* 3.0 x) size) 2.0) ci) (+ n 1) n))
                       n))))
        n)))

(display (count size))
(newline)
