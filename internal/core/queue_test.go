package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/sptest"
)

func numbered(i int) *sp.Message {
	m := sp.NewMessage(8)
	m.Body = fmt.Appendf(m.Body, "%d", i)
	return m
}

func TestQueueFIFOAndLimit(t *testing.T) {
	q := NewQueue(3)
	for i := range 3 {
		require.Truef(t, q.TryPut(numbered(i)), "put %d of 3: got false, want true", i)
	}
	extra := numbered(3)
	require.False(t, q.TryPut(extra), "got a put past the limit, want false")
	extra.Free()
	require.Equal(t, 3, q.Len())
	for i := range 3 {
		m := q.TryGet()
		require.NotNil(t, m)
		require.Equal(t, fmt.Sprint(i), string(m.Body))
		m.Free()
	}
	require.Nil(t, q.TryGet(), "got a message from an empty queue")
	q.Close()
}

// TestQueueManyPuttersAndGetters runs blocking putters and getters against
// a small queue, with PutBatch, GetAll-free paths and timeouts mixed in:
// every message arrives exactly once and nobody is left waiting.
func TestQueueManyPuttersAndGetters(t *testing.T) {
	for _, limit := range []int{1, 2, 7} {
		t.Run(fmt.Sprint(limit), func(t *testing.T) {
			q := NewQueue(limit)
			const putters, each = 4, 2000
			var wg sync.WaitGroup
			for p := range putters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx := context.Background()
					for i := 0; i < each; {
						if p%2 == 0 && i+3 <= each { // batches of three
							batch := []*sp.Message{numbered(p*each + i), numbered(p*each + i + 1), numbered(p*each + i + 2)}
							if _, _, err := q.PutBatch(batch, nil); err != nil {
								panic(err)
							}
							i += 3
							continue
						}
						m := numbered(p*each + i)
						if err := q.Put(ctx, m, nil, nil); err != nil {
							panic(err)
						}
						i++
					}
				}()
			}
			seen := make([]bool, putters*each)
			var mu sync.Mutex
			const getters = 3
			var gwg sync.WaitGroup
			total := 0
			for range getters {
				gwg.Add(1)
				go func() {
					defer gwg.Done()
					for {
						// Short timeouts make getters leave and come back.
						dl := NewDeadline(time.Millisecond)
						m, err := q.Get(context.Background(), &dl, nil)
						dl.Stop()
						if errors.Is(err, sp.ErrTimeout) {
							continue
						}
						if err != nil {
							return // closed
						}
						var n int
						fmt.Sscan(string(m.Body), &n)
						m.Free()
						mu.Lock()
						if seen[n] {
							mu.Unlock()
							panic(fmt.Sprintf("message %d delivered twice", n))
						}
						seen[n] = true
						total++
						done := total == putters*each
						mu.Unlock()
						if done {
							q.Close()
						}
					}
				}()
			}
			finished := make(chan struct{})
			go func() {
				wg.Wait()
				gwg.Wait()
				close(finished)
			}()
			select {
			case <-finished:
			case <-time.After(30 * time.Second):
				t.Fatalf("stuck: %d of %d messages delivered, %d queued", total, putters*each, q.Len())
			}
			require.Equal(t, putters*each, total)
		})
	}
}

func TestQueueWaitersGiveUp(t *testing.T) {
	tests := []struct {
		name string
		wait func(q *Queue, ctx context.Context, cancel chan struct{}) error
		stop func(q *Queue, cancelFn context.CancelFunc, cancel chan struct{})
		want error
	}{
		{"get/context", getWait, func(_ *Queue, f context.CancelFunc, _ chan struct{}) { f() }, context.Canceled},
		{"get/cancel", getWait, func(_ *Queue, _ context.CancelFunc, c chan struct{}) { close(c) }, sp.ErrClosed},
		{"get/close", getWait, func(q *Queue, _ context.CancelFunc, _ chan struct{}) { q.Close() }, sp.ErrClosed},
		{"put/context", putWait, func(_ *Queue, f context.CancelFunc, _ chan struct{}) { f() }, context.Canceled},
		{"put/cancel", putWait, func(_ *Queue, _ context.CancelFunc, c chan struct{}) { close(c) }, sp.ErrClosed},
		{"put/close", putWait, func(q *Queue, _ context.CancelFunc, _ chan struct{}) { q.Close() }, sp.ErrClosed},
		{"batch/cancel", batchWait, func(_ *Queue, _ context.CancelFunc, c chan struct{}) { close(c) }, sp.ErrClosed},
		{"batch/close", batchWait, func(q *Queue, _ context.CancelFunc, _ chan struct{}) { q.Close() }, sp.ErrClosed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := NewQueue(1)
			defer q.Close()
			if tt.name[:3] != "get" {
				require.True(t, q.TryPut(numbered(0)))
			}
			ctx, cancelFn := context.WithCancel(context.Background())
			defer cancelFn()
			cancel := make(chan struct{})
			errc := make(chan error, 1)
			go func() { errc <- tt.wait(q, ctx, cancel) }()
			time.Sleep(10 * time.Millisecond)
			tt.stop(q, cancelFn, cancel)
			select {
			case err := <-errc:
				require.ErrorIs(t, err, tt.want)
			case <-time.After(5 * time.Second):
				t.Fatal("a waiter did not give up")
			}
		})
	}
}

func getWait(q *Queue, ctx context.Context, cancel chan struct{}) error {
	_, err := q.Get(ctx, nil, cancel)
	return err
}

func putWait(q *Queue, ctx context.Context, cancel chan struct{}) error {
	m := numbered(1)
	err := q.Put(ctx, m, nil, cancel)
	if err != nil {
		m.Free()
	}
	return err
}

func batchWait(q *Queue, _ context.Context, cancel chan struct{}) error {
	_, _, err := q.PutBatch([]*sp.Message{numbered(1), numbered(2)}, cancel)
	return err
}

// TestQueueWaitWakesWriter checks the single-consumer Wait: it returns true
// once a message is put, and false when the queue closes.
func TestQueueWaitWakesWriter(t *testing.T) {
	q := NewQueue(4)
	got := make(chan bool, 1)
	go func() { got <- q.Wait(nil) }()
	time.Sleep(10 * time.Millisecond)
	require.True(t, q.TryPut(numbered(0)))
	require.True(t, <-got, "got Wait false after a put, want true")
	batch := q.GetAll(nil)
	require.Len(t, batch, 1)
	batch[0].Free()
	go func() { got <- q.Wait(nil) }()
	time.Sleep(10 * time.Millisecond)
	q.Close()
	require.False(t, <-got, "got Wait true after Close, want false")
}

// TestQueueWakesEveryWaiter checks that the turn is passed on: one GetAll
// that makes room for several blocked putters lets all of them in, and one
// PutBatch for several blocked getters serves all of them, with no further
// operation on the queue.
func TestQueueWakesEveryWaiter(t *testing.T) {
	const n = 4
	t.Run("putters", func(t *testing.T) {
		q := NewQueue(n)
		defer q.Close()
		for i := range n {
			require.True(t, q.TryPut(numbered(i)))
		}
		errc := make(chan error, n)
		for i := range n {
			go func() { errc <- putWait2(q, n+i) }()
		}
		time.Sleep(20 * time.Millisecond)
		for _, m := range q.GetAll(nil) {
			m.Free()
		}
		for i := range n {
			select {
			case err := <-errc:
				require.NoError(t, err)
			case <-time.After(5 * time.Second):
				t.Fatalf("%d of %d blocked putters got in after a GetAll made room for all", i, n)
			}
		}
		require.Equal(t, n, q.Len())
		for _, m := range q.GetAll(nil) {
			m.Free()
		}
	})
	t.Run("getters", func(t *testing.T) {
		q := NewQueue(n)
		defer q.Close()
		got := make(chan *sp.Message, n)
		for range n {
			go func() {
				m, err := q.Get(context.Background(), nil, nil)
				if err == nil {
					got <- m
				}
			}()
		}
		time.Sleep(20 * time.Millisecond)
		batch := make([]*sp.Message, n)
		for i := range batch {
			batch[i] = numbered(i)
		}
		_, _, err := q.PutBatch(batch, nil)
		require.NoError(t, err)
		for i := range n {
			select {
			case m := <-got:
				m.Free()
			case <-time.After(5 * time.Second):
				t.Fatalf("%d of %d blocked getters served after one PutBatch of %d", i, n, n)
			}
		}
	})
}

// TestQueueCloseWakesEveryWaiter checks that one Close wakes every blocked
// waiter of every kind (each woken waiter passes the wake on, as there is
// no channel Close closes for them), on fake time: synctest.Wait says when
// they all block, and when they all have returned.
func TestQueueCloseWakesEveryWaiter(t *testing.T) {
	const n = 5
	tests := []struct {
		name string
		full bool // the waiters wait for room
		wait func(q *Queue) error
	}{
		{"getters", false, func(q *Queue) error { return getWait(q, context.Background(), nil) }},
		{"putters", true, func(q *Queue) error { return putWait(q, context.Background(), nil) }},
		{"batches", true, func(q *Queue) error { return batchWait(q, context.Background(), nil) }},
		{"writer", false, func(q *Queue) error {
			if q.Wait(nil) {
				return errors.New("Wait returned true")
			}
			return sp.ErrClosed
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				q := NewQueue(1)
				if tt.full {
					require.True(t, q.TryPut(numbered(0)))
				}
				k := n
				if tt.name == "writer" {
					k = 1 // Wait is for the queue's one consumer
				}
				errc := make(chan error, k)
				for range k {
					go func() { errc <- tt.wait(q) }()
				}
				synctest.Wait() // all blocked
				require.Empty(t, errc, "a waiter returned before Close")
				q.Close()
				synctest.Wait() // all woken, and returned
				require.Len(t, errc, k, "waiters returned after Close: got %d, want %d", len(errc), k)
				for range k {
					err := <-errc
					require.ErrorIs(t, err, sp.ErrClosed, "got %v, want ErrClosed", err)
				}
			})
		})
	}
}

func putWait2(q *Queue, i int) error {
	m := numbered(i)
	err := q.Put(context.Background(), m, nil, nil)
	if err != nil {
		m.Free()
	}
	return err
}

func TestQueuePutBatchReportsWake(t *testing.T) {
	q := NewQueue(8)
	defer q.Close()
	woke, _, err := q.PutBatch([]*sp.Message{numbered(0)}, nil)
	require.NoError(t, err)
	require.False(t, woke, "got woke true with nobody waiting, want false")
	q.TryGet().Free()

	got := make(chan *sp.Message, 1)
	go func() {
		m, err := q.Get(context.Background(), nil, nil)
		if err == nil {
			got <- m
		}
	}()
	sptest.Eventually(t, "a getter waiting", func() bool {
		q.mu.Lock()
		defer q.mu.Unlock()
		return q.getters == 1
	})
	woke, _, err = q.PutBatch([]*sp.Message{numbered(1)}, nil)
	require.NoError(t, err)
	require.True(t, woke, "got woke false with a getter waiting, want true")
	(<-got).Free()
}
