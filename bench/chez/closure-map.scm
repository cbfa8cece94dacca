(define xs (iota 100000))   ; Chez iota: 0..n-1
(set! xs (map (lambda (i) (+ i 1)) xs))

(define (round-sum xs)
  (fold-left (lambda (acc x) (+ acc x))
             0
             (filter odd? (map (lambda (x) (+ (* x 2) 1)) xs))))

(display
  (let loop ((i 0) (total 0))
    (if (= i 50)
        total
        (loop (+ i 1) (+ total (round-sum xs))))))
(newline)
