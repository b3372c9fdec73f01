package tls_test

import (
	"context"
	gotls "crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/spgo/sp"
	"github.com/spgo/sp/transport/transporttest"
)

// config returns the suite's configuration for listeners on host
// ("127.0.0.1", "[::1]", "*", ""), with the test PKI: the listener presents
// the server certificate and requires the client's, the dialer verifies the
// server and presents its certificate.
func config(t testing.TB, host string) transporttest.Config {
	p := getPKI(t)
	loop := host
	if host == "*" || host == "" {
		loop = "127.0.0.1"
	}
	return transporttest.Config{
		Addr:     func(testing.TB) string { return fmt.Sprintf("tls+tcp://%s:0", host) },
		DialAddr: transporttest.BoundTCP,
		ListenOptions: func(testing.TB) []sp.EndpointOption {
			return []sp.EndpointOption{sp.With(sp.TLSConfig, p.serverConfig(true))}
		},
		DialOptions: func(testing.TB) []sp.EndpointOption {
			return []sp.EndpointOption{sp.With(sp.TLSConfig, p.clientConfig(p.client))}
		},
		Refused: func(t testing.TB) string {
			l, err := net.Listen("tcp", loop+":0")
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			return fmt.Sprintf("tls+tcp://%s:%d", loop, l.Addr().(*net.TCPAddr).Port)
		},
		BadURLs: []transporttest.BadURL{
			{URL: "tls+tcp://127.0.0.1", Reason: "missing port"},
			{URL: "tls+tcp://127.0.0.1:65536", Reason: "port \"65536\" is not a number from 0 to 65535"},
			{URL: "tls+tcp://127.0.0.1:http", Reason: "is not a number"},
			{URL: "tls+tcp://127.0.0.1:5555/path", Reason: "no path"},
			{URL: "tls+tcp://[::1:5555", Reason: "missing ']'"},
			{URL: "tls+tcp://*:5555", Reason: "dialing needs a host", DialOnly: true},
			{URL: "tls+tcp://:5555", Reason: "dialing needs a host", DialOnly: true},
			{URL: "tls+tcp://127.0.0.1:0", Reason: "non-zero port", DialOnly: true},
		},
		Stream: &transporttest.Stream{Dial: func(ctx context.Context, url string) (net.Conn, error) {
			d := gotls.Dialer{Config: p.clientConfig(p.client)}
			return d.DialContext(ctx, "tcp", strings.TrimPrefix(url, "tls+tcp://"))
		}},
	}
}

func TestConformance(t *testing.T) { transporttest.Run(t, config(t, "127.0.0.1")) }

func TestConformanceIPv6(t *testing.T) {
	l, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	l.Close()
	transporttest.Run(t, config(t, "[::1]"))
}

// TestAllInterfaces checks the forms that bind every interface.
func TestAllInterfaces(t *testing.T) {
	for _, host := range []string{"*", "", "0.0.0.0"} {
		t.Run(fmt.Sprintf("%q", host), func(t *testing.T) {
			transporttest.Exchange(t, config(t, host))
		})
	}
}
