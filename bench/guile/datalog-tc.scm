;; Semi-naive transitive closure; see bench/README.md for the generator.
;; The path set is an equal?-hash table keyed by (a . b) pairs.
(define n-nodes 2000)
(define n-edges 6000)

(define state 42)
(define (next!)
  (set! state (modulo (* state 48271) 2147483647))
  state)

(define succ (make-vector n-nodes '()))   ; node -> successors
(define path (make-hash-table))
(define count 0)

(define (add-path! a b)
  (let ((k (cons a b)))
    (if (hash-ref path k)
        #f
        (begin (hash-set! path k #t)
               (set! count (+ count 1))
               #t))))

(define edges
  (let loop ((i 0) (acc '()))
    (if (= i n-edges)
        (reverse acc)
        (let* ((a (modulo (next!) n-nodes))
               (b (modulo (next!) n-nodes)))
          (if (add-path! a b)
              (begin
                (vector-set! succ a (cons b (vector-ref succ a)))
                (loop (+ i 1) (cons (cons a b) acc)))
              (loop (+ i 1) acc))))))

(define (step delta)
  (let loop ((delta delta) (new '()))
    (if (null? delta)
        new
        (let ((a (caar delta)))
          (loop (cdr delta)
                (let inner ((cs (vector-ref succ (cdar delta))) (new new))
                  (cond ((null? cs) new)
                        ((add-path! a (car cs))
                         (inner (cdr cs) (cons (cons a (car cs)) new)))
                        (else (inner (cdr cs) new)))))))))

(let loop ((delta edges))
  (unless (null? delta)
    (loop (step delta))))

(display count)
(newline)
