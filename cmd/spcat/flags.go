package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Option ids. The protocols come first so that a protocol is an option id.
type optID int

const (
	optNone optID = iota
	optReq0
	optRep0
	optPub0
	optSub0
	optPush0
	optPull0
	optSurveyor0
	optRespondent0
	optPair0
	optPair1
	optPair
	optBus0
	optStar
	optHelp
	optVerbose
	optSilent
	optDial
	optListen
	optBindLocal
	optDialLocal
	optBindIPC
	optDialIPC
	optData
	optFile
	optSubscribe
	optSendTimeout
	optRecvTimeout
	optRecvMaxSize
	optCount
	optDelay
	optInterval
	optFormat
	optRaw
	optASCII
	optHex
	optMsgpack
	optQuoted
	optCompat
	optAsync
	optInsecure
	optCACert
	optCert
	optKey
	optZTHome
	optSocket
	optVersion
	optStats
)

// optSpec is one entry of the option table, as nng_opts_parse knows it.
type optSpec struct {
	name  string
	short byte
	id    optID
	arg   bool
}

// options is nngcat 1.5.2's option table (hidden entries included: --bus,
// --socket), plus spcat's --star. Long names may be abbreviated to any
// unambiguous prefix; an exact name always wins.
var options = []optSpec{
	{"help", 'h', optHelp, false},
	{"verbose", 'v', optVerbose, false},
	{"silent", 'q', optSilent, false},
	{"req0", 0, optReq0, false},
	{"req", 0, optReq0, false},
	{"rep0", 0, optRep0, false},
	{"rep", 0, optRep0, false},
	{"pub0", 0, optPub0, false},
	{"pub", 0, optPub0, false},
	{"sub0", 0, optSub0, false},
	{"sub", 0, optSub0, false},
	{"push0", 0, optPush0, false},
	{"push", 0, optPush0, false},
	{"pull0", 0, optPull0, false},
	{"pull", 0, optPull0, false},
	{"surveyor0", 0, optSurveyor0, false},
	{"surveyor", 0, optSurveyor0, false},
	{"respondent0", 0, optRespondent0, false},
	{"respondent", 0, optRespondent0, false},
	{"pair0", 0, optPair0, false},
	{"pair1", 0, optPair1, false},
	{"pair", 0, optPair, false},
	{"bus0", 0, optBus0, false},
	{"bus", 0, optBus0, false},
	{"star", 0, optStar, false},
	{"dial", 0, optDial, true},
	{"connect", 0, optDial, true},
	{"listen", 0, optListen, true},
	{"bind", 0, optListen, true},
	{"bind-local", 'L', optBindLocal, true},
	{"connect-local", 'l', optDialLocal, true},
	{"bind-ipc", 'X', optBindIPC, true},
	{"connect-ipc", 'x', optDialIPC, true},
	{"data", 'D', optData, true},
	{"file", 'F', optFile, true},
	{"subscribe", 0, optSubscribe, true},
	{"send-timeout", 0, optSendTimeout, true},
	{"recv-timeout", 0, optRecvTimeout, true},
	{"recv-maxsz", 'Z', optRecvMaxSize, true},
	{"count", 'C', optCount, true},
	{"delay", 'd', optDelay, true},
	{"interval", 'i', optInterval, true},
	{"format", 0, optFormat, true},
	{"raw", 0, optRaw, false},
	{"ascii", 'A', optASCII, false},
	{"hex", 0, optHex, false},
	{"msgpack", 0, optMsgpack, false},
	{"quoted", 'Q', optQuoted, false},
	{"compat", 0, optCompat, false},
	{"async", 0, optAsync, false},
	{"insecure", 'k', optInsecure, false},
	{"cacert", 0, optCACert, true},
	{"cert", 'E', optCert, true},
	{"key", 0, optKey, true},
	{"zt-home", 0, optZTHome, true},
	{"socket", 0, optSocket, true},
	{"version", 'V', optVersion, false},
	{"stats", 0, optStats, false},
}

// address is one --dial or --listen.
type address struct {
	listen bool
	url    string
}

// config is what the command line asks for.
type config struct {
	proto       optID // 0 when none was given
	addrs       []address
	format      string // "" when none was given
	verbose     bool
	count       int
	delay       time.Duration
	interval    time.Duration // < 0: none
	recvTimeout time.Duration // < 0: none
	sendTimeout time.Duration // < 0: none
	recvMaxSize int           // < 0: not set
	compat      bool
	async       bool
	insecure    bool
	cacert      []byte
	cert        []byte
	key         []byte
	data        []byte // nil: none given
	topics      []string
	subscribed  bool // some --subscribe was given
	help        bool
	version     bool
	stats       bool // print the socket's statistics on stderr at exit
}

// usageError is a failure that nngcat reports on one line of stderr,
// exiting 1.
type usageError string

func (e usageError) Error() string { return string(e) }

func fail(format string, args ...any) error { return usageError(fmt.Sprintf(format, args...)) }

// nextOpt parses args[i] as nng_opts_parse does. It returns the option,
// its argument and the index of the next word; done reports the end of the
// options (a word not starting with '-', or "-" alone, ends them and the rest
// is ignored, as in nngcat).
func nextOpt(args []string, i int) (spec optSpec, arg string, next int, done bool, err error) {
	if i >= len(args) {
		return spec, "", i, true, nil
	}
	word := args[i]
	if word == "" || word[0] != '-' || word == "-" {
		return spec, "", i, true, nil
	}
	var rest string
	matches := 0
	short := word[1] != '-'
	if short {
		for _, o := range options {
			if o.short == word[1] {
				spec, matches = o, 1
				break
			}
		}
		rest = word[2:]
	} else {
		body := word[2:]
		n := strings.IndexAny(body, "=:")
		if n < 0 {
			n = len(body)
		}
		name := body[:n]
		for _, o := range options {
			if !strings.HasPrefix(o.name, name) {
				continue
			}
			if o.name == name {
				spec, matches = o, 1
				break
			}
			spec = o
			matches++
		}
		rest = body[n:]
	}
	switch {
	case matches == 0:
		return spec, "", i, false, fail("Option %s is invalid.", word)
	case matches > 1:
		return spec, "", i, false, fail("Option %s is ambiguous (specify in full).", word)
	}
	if !spec.arg {
		if rest != "" {
			return spec, "", i, false, fail("Option %s is invalid.", word)
		}
		return spec, "", i + 1, false, nil
	}
	if rest != "" {
		if !short {
			rest = rest[1:] // the '=' or ':'
		}
		return spec, rest, i + 1, false, nil
	}
	if i+1 >= len(args) {
		return spec, "", i, false, fail("Option %s requires argument.", word)
	}
	return spec, args[i+1], i + 2, false, nil
}

// intArg parses a decimal argument as nngcat does: digits only, at most max,
// with C's 32-bit wrap-around on overflow.
func intArg(s string, max int32) (int32, error) {
	if s == "" {
		return 0, fail("Empty integer argument.")
	}
	var v int32
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, fail("Integer argument expected.")
		}
		v = v*10 + int32(c-'0')
		if v > max {
			return 0, fail("Integer argument too large.")
		}
	}
	if v < 0 {
		return 0, fail("Integer argument overflow.")
	}
	return v, nil
}

// maxSecs is nngcat's bound on a time argument: one day.
const maxSecs = 86400

// secsArg parses a time in seconds. Whole seconds are parsed as nngcat does;
// spcat also accepts decimal fractions such as 0.5 or .25.
func secsArg(s string) (time.Duration, error) {
	frac := strings.Count(s, ".") == 1 && len(s) > 1 && strings.Trim(s, "0123456789.") == ""
	if !frac {
		v, err := intArg(s, maxSecs)
		return time.Duration(v) * time.Second, err
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fail("Integer argument expected.")
	}
	if f > maxSecs {
		return 0, fail("Integer argument too large.")
	}
	return time.Duration(f * float64(time.Second)), nil
}

// loadFile reads a file named on the command line ("-" is stdin), with
// nngcat's messages.
func loadFile(name string, stdin io.Reader) ([]byte, error) {
	if name == "-" {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, fail("Read from %s failed: %s", name, strerror(err))
		}
		return b, nil
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, fail("Cannot open file %s: %s", name, strerror(err))
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return nil, fail("Read from %s failed: %s", name, strerror(err))
	}
	return b, nil
}

// strerror words an OS error as C's strerror does.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}
