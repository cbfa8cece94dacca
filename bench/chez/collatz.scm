(define (steps n acc)
  (if (= n 1)
      acc
      (steps (if (= (remainder n 2) 0) (quotient n 2) (+ (* 3 n) 1)) (+ acc 1))))

(define (total i acc)
  (if (> i 300000)
      acc
      (total (+ i 1) (+ acc (steps i 0)))))

(display (total 1 0))
(newline)
