(use-modules (srfi srfi-1))   ; iota, filter, fold

(define xs (iota 100000 1))

(define (round-sum xs)
  (fold (lambda (x acc) (+ acc x))
        0
        (filter odd? (map (lambda (x) (+ (* x 2) 1)) xs))))

(display
  (let loop ((i 0) (total 0))
    (if (= i 50)
        total
        (loop (+ i 1) (+ total (round-sum xs))))))
(newline)
