;; Semi-naive transitive closure; see bench/README.md for the generator.
;; The path set is an equal? hashtable keyed by (a . b) pairs. It is given
;; its own hash function: Chez's built-in equal-hash maps pairs of small
;; fixnums to very few buckets, and with it this program did not finish in
;; several minutes.
(define n-nodes 2000)
(define n-edges 6000)

(define state 42)
(define (next!)
  (set! state (modulo (* state 48271) 2147483647))
  state)

(define succ (make-vector n-nodes '()))   ; node -> successors
(define (pair-hash p) (+ (* (car p) n-nodes) (cdr p)))
(define path (make-hashtable pair-hash equal?))
(define count 0)

(define (add-path! a b)
  (let ((k (cons a b)))
    (if (hashtable-contains? path k)
        #f
        (begin (hashtable-set! path k #t)
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
