package zt_test

import (
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/spgo/sp"
	"github.com/spgo/sp/internal/leaktest"
	"github.com/spgo/sp/transport/transporttest"
	"github.com/spgo/sp/transport/zt"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

const (
	testNWID   = 0x8056c2e21c000001
	listenNode = 0x1122334455
	dialNode   = 0xa1b2c3d4e5
)

// memConfig runs the suite over a memory switch: listeners on one node,
// dialers on another, each check on a network of its own.
func memConfig(sw *zt.MemorySwitch, sameNode bool) transporttest.Config {
	dn := uint64(dialNode)
	if sameNode {
		dn = listenNode
	}
	fast := func(node uint64) func(testing.TB) []sp.EndpointOption {
		return func(testing.TB) []sp.EndpointOption {
			return []sp.EndpointOption{sp.With(zt.Switch, sw), sp.With(zt.LocalNode, node),
				sp.With(zt.ConnectTime, 100*time.Millisecond)}
		}
	}
	nw := fmt.Sprintf("%016x", uint64(testNWID))
	return transporttest.Config{
		Addr:          func(testing.TB) string { return "zt://*." + nw + ":0" },
		DialAddr:      func(_ string, a net.Addr) string { return a.String() },
		ListenOptions: fast(listenNode),
		DialOptions:   fast(dn),
		Refused:       func(testing.TB) string { return fmt.Sprintf("zt://%010x.%s:4242", dn, nw) },
		BadURLs: []transporttest.BadURL{
			{URL: "zt://*." + nw, Reason: "missing port"},
			{URL: "zt://12345.8056c2e21c000001:1", Reason: "not 10 hex digits"},
			{URL: "zt://*.8056c2e21c00001:1", Reason: "not 16 hex digits"},
			{URL: "zt://*." + nw + ":16777216", Reason: "not a number from 0 to 16777215"},
			{URL: "zt://*." + nw + ":1/x", Reason: "no path"},
			{URL: "zt://1122334455." + nw + ":0", Reason: "non-zero port", DialOnly: true},
			{URL: "zt:/*." + nw + ":1", Reason: "no scheme"},
		},
	}
}

func TestConformance(t *testing.T) {
	transporttest.Run(t, memConfig(zt.NewMemorySwitch(1500), false))
}

// TestConformanceSameNode dials the listener's own node: frames never
// reach the switch.
func TestConformanceSameNode(t *testing.T) {
	transporttest.Run(t, memConfig(zt.NewMemorySwitch(2800), true))
}
