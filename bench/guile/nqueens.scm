;; Backtracking over cons lists; `placed` holds the columns of the rows
;; placed so far, most recent first.
(define (safe? col placed)
  (let loop ((ps placed) (dist 1))
    (if (null? ps)
        #t
        (let ((p (car ps)))
          (if (or (= p col) (= (abs (- p col)) dist))
              #f
              (loop (cdr ps) (+ dist 1)))))))

(define (queens n row placed)
  (if (= row n)
      1
      (let loop ((col 0) (total 0))
        (if (= col n)
            total
            (loop (+ col 1)
                  (if (safe? col placed)
                      (+ total (queens n (+ row 1) (cons col placed)))
                      total))))))

(display (queens 10 0 '()))
(newline)
