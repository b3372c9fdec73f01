package tcp_test

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/transport/transporttest"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// config returns the suite's configuration for listeners on host ("127.0.0.1",
// "[::1]", "*", "").
func config(host string) transporttest.Config {
	loop := host
	if host == "*" || host == "" {
		loop = "127.0.0.1"
	}
	return transporttest.Config{
		Addr:     func(testing.TB) string { return fmt.Sprintf("tcp://%s:0", host) },
		DialAddr: transporttest.BoundTCP,
		Refused: func(t testing.TB) string {
			l, err := net.Listen("tcp", loop+":0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			return fmt.Sprintf("tcp://%s:%d", loop, l.Addr().(*net.TCPAddr).Port)
		},
		BadURLs: []transporttest.BadURL{
			{URL: "tcp://127.0.0.1", Reason: "missing port"},
			{URL: "tcp://127.0.0.1:65536", Reason: "port \"65536\" is not a number from 0 to 65535"},
			{URL: "tcp://127.0.0.1:http", Reason: "is not a number"},
			{URL: "tcp://127.0.0.1:5555/path", Reason: "no path"},
			{URL: "tcp://[::1:5555", Reason: "missing ']'"},
			{URL: "tcp://*:5555", Reason: "dialing needs a host", DialOnly: true},
			{URL: "tcp://:5555", Reason: "dialing needs a host", DialOnly: true},
			{URL: "tcp://127.0.0.1:0", Reason: "non-zero port", DialOnly: true},
		},
		Stream: &transporttest.Stream{Dial: func(ctx context.Context, url string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "tcp", strings.TrimPrefix(url, "tcp://"))
		}},
	}
}

func TestConformance(t *testing.T) { transporttest.Run(t, config("127.0.0.1")) }

func TestConformanceIPv6(t *testing.T) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	l.Close()
	transporttest.Run(t, config("[::1]"))
}

// TestAllInterfaces checks the forms that bind every interface.
func TestAllInterfaces(t *testing.T) {
	for _, host := range []string{"*", "", "0.0.0.0"} {
		t.Run(fmt.Sprintf("%q", host), func(t *testing.T) {
			transporttest.Exchange(t, config(host))
		})
	}
}

func TestBoundTCP(t *testing.T) {
	for _, c := range []struct {
		url  string
		addr *net.TCPAddr
		want string
	}{
		{"tcp://127.0.0.1:0", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5}, "tcp://127.0.0.1:5"},
		{"tcp://*:0", &net.TCPAddr{IP: net.IPv6unspecified, Port: 5}, "tcp://127.0.0.1:5"},
		{"tcp://[::1]:0", &net.TCPAddr{IP: net.IPv6loopback, Port: 5}, "tcp://[::1]:5"},
		{"ws://127.0.0.1:0/a/b", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5}, "ws://127.0.0.1:5/a/b"},
	} {
		if got := transporttest.BoundTCP(c.url, c.addr); got != c.want {
			t.Errorf("BoundTCP(%q, %v) = %q, want %q", c.url, c.addr, got, c.want)
		}
	}
}
