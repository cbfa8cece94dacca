(define n 200000)
(define d (make-hash-table))

(define (key i) (string-append "k" (number->string i)))

(let loop ((i 0))
  (when (< i n)
    (hash-set! d (key i) i)
    (loop (+ i 1))))

(display
  (let loop ((i 0) (total 0))
    (if (= i n)
        total
        (loop (+ i 1) (+ total (hash-ref d (key i)))))))
(newline)
