// Command rawsurvey is the floor of the survey shape (bench/shapes.sh): the
// SP/TCP framing (a u64 length, a 4-byte survey id, the body) over bare
// net.Conn, no library, no handshake. It does the least any library must:
// per survey, one write to each respondent's connection and one read from
// it on each side.
//
//	rawsurvey server ADDR RESPONDENTS SECONDS SIZE [seq|par]
//	rawsurvey client ADDR RESPONDENTS
//
// The server listens, waits for RESPONDENTS connections, then surveys: it
// writes the survey to every connection (seq, the default: one after another
// from the surveying goroutine; par: a writer goroutine per connection, woken
// per survey, as a library's pipes write; seq was a little faster here, 810
// against 780 surveys/s), and a reader goroutine per
// connection counts the answers; a survey ends when all have answered.
// After a warm-up of 250 ms it measures for SECONDS and prints
// "surveys/s N", as spperf does. The client dials RESPONDENTS connections
// and echoes every frame on each, a goroutine per connection, until killed.
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "rawsurvey:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 3 {
		return fmt.Errorf("usage: rawsurvey server ADDR RESPONDENTS SECONDS SIZE [seq|par] | client ADDR RESPONDENTS")
	}
	n, err := strconv.Atoi(args[2])
	if err != nil || n < 1 {
		return fmt.Errorf("RESPONDENTS: want a number >= 1, got %q", args[2])
	}
	switch {
	case args[0] == "client":
		return client(args[1], n)
	case args[0] == "server" && (len(args) == 5 || len(args) == 6):
		secs, err1 := strconv.Atoi(args[3])
		size, err2 := strconv.Atoi(args[4])
		if err1 != nil || err2 != nil || secs < 1 || size < 0 {
			return fmt.Errorf("SECONDS >= 1 and SIZE >= 0, got %q %q", args[3], args[4])
		}
		par := len(args) == 6 && args[5] == "par"
		return server(args[1], n, secs, size, par)
	}
	return fmt.Errorf("usage: rawsurvey server ADDR RESPONDENTS SECONDS SIZE [seq|par] | client ADDR RESPONDENTS")
}

// frame returns a survey frame: length, id, body.
func frame(id uint32, size int) []byte {
	f := make([]byte, 12+size)
	binary.BigEndian.PutUint64(f, uint64(4+size))
	binary.BigEndian.PutUint32(f[8:], id|0x80000000)
	return f
}

// readFrame reads one frame into buf and returns its payload.
func readFrame(r *bufio.Reader, buf []byte) ([]byte, error) {
	var h [8]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint64(h[:])
	if n > uint64(cap(buf)) {
		return nil, fmt.Errorf("frame of %d bytes: too big", n)
	}
	buf = buf[:n]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

func server(addr string, n, secs, size int, par bool) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	defer l.Close()
	conns := make([]net.Conn, 0, n)
	for len(conns) < n {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		c.(*net.TCPConn).SetNoDelay(true)
		defer c.Close()
		conns = append(conns, c)
	}
	answers := make(chan struct{}, n)
	errs := make(chan error, 2*n)
	for _, c := range conns {
		go func() {
			r := bufio.NewReaderSize(c, 64<<10)
			buf := make([]byte, 0, 4+size)
			for {
				if _, err := readFrame(r, buf); err != nil {
					errs <- err
					return
				}
				answers <- struct{}{}
			}
		}()
	}
	var kicks []chan []byte
	if par {
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, c := range conns {
			k := make(chan []byte, 1)
			kicks = append(kicks, k)
			wg.Add(1)
			go func() {
				defer wg.Done()
				for f := range k {
					if _, err := c.Write(f); err != nil {
						errs <- err
						return
					}
				}
			}()
			defer close(k)
		}
	}
	start := time.Now().Add(250 * time.Millisecond)
	end := start.Add(time.Duration(secs) * time.Second)
	surveys := 0
	for id := uint32(1); ; id++ {
		f := frame(id, size)
		for i, c := range conns {
			if par {
				kicks[i] <- f
			} else if _, err := c.Write(f); err != nil {
				return err
			}
		}
		for range n {
			select {
			case <-answers:
			case err := <-errs:
				return err
			}
		}
		now := time.Now()
		if now.After(end) {
			break
		}
		if now.After(start) {
			surveys++
		}
	}
	fmt.Printf("surveys/s %.0f\n", float64(surveys)/end.Sub(start).Seconds())
	return nil
}

func client(addr string, n int) error {
	errs := make(chan error, n)
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		c.(*net.TCPConn).SetNoDelay(true)
		defer c.Close()
		go func() {
			r := bufio.NewReaderSize(c, 64<<10)
			buf := make([]byte, 0, 64<<10)
			out := make([]byte, 0, 64<<10)
			for {
				p, err := readFrame(r, buf)
				if err != nil {
					errs <- err
					return
				}
				out = binary.BigEndian.AppendUint64(out[:0], uint64(len(p)))
				out = append(out, p...)
				if _, err := c.Write(out); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	return <-errs
}
