(define n 200000)
(define d (make-hashtable string-hash string=?))

(define (key i) (string-append "k" (number->string i)))

(let loop ((i 0))
  (when (< i n)
    (hashtable-set! d (key i) i)
    (loop (+ i 1))))

(display
  (let loop ((i 0) (total 0))
    (if (= i n)
        total
        (loop (+ i 1) (+ total (hashtable-ref d (key i) #f))))))
(newline)
