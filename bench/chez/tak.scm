(define (tak x y z)
  (if (not (< y x))
      z
      (tak (tak (- x 1) y z)
           (tak (- y 1) z x)
           (tak (- z 1) x y))))

(display
  (let loop ((i 0) (total 0))
    (if (= i 200)
        total
        (loop (+ i 1) (+ total (tak 24 16 8))))))
(newline)
