package main

import "io"

// formats maps the names --format takes to themselves, and the format
// flags to their names.
var formatFlags = map[optID]string{
	optRaw: "raw", optASCII: "ascii", optHex: "hex", optMsgpack: "msgpack", optQuoted: "quoted",
}

// parseArgs reads the command line as nngcat 1.5.2 does: options are taken
// in order and the first bad one stops everything, with nngcat's message;
// then the combination is checked, in nngcat's order. Files (--file,
// --cert, ...) are read as they come; "-" is stdin.
//
// Help and version end the parse at once (cfg.help, cfg.version).
func parseArgs(args []string, stdin io.Reader) (*config, error) {
	cfg := &config{interval: -1, recvTimeout: -1, sendTimeout: -1, recvMaxSize: -1}
	for i := 0; ; {
		spec, arg, next, done, err := nextOpt(args, i)
		if err != nil {
			return nil, err
		}
		if done {
			break
		}
		i = next
		if err := cfg.apply(spec, arg, stdin); err != nil {
			return nil, err
		}
		if cfg.help || cfg.version {
			return cfg, nil
		}
	}
	return cfg, cfg.check()
}

// apply records one option.
func (cfg *config) apply(spec optSpec, arg string, stdin io.Reader) error {
	var err error
	switch id := spec.id; id {
	case optHelp:
		cfg.help = true
	case optVersion:
		cfg.version = true
	case optVerbose, optSilent:
		cfg.verbose = id == optVerbose // the last one wins
	case optReq0, optRep0, optPub0, optSub0, optPush0, optPull0, optSurveyor0,
		optRespondent0, optPair0, optPair1, optPair, optBus0, optStar:
		if cfg.proto != optNone {
			return fail("Only one protocol may be specified.")
		}
		cfg.proto = id
	case optDial, optListen:
		cfg.addrs = append(cfg.addrs, address{listen: id == optListen, url: arg})
	case optBindLocal, optDialLocal:
		cfg.addrs = append(cfg.addrs, address{listen: id == optBindLocal, url: "tcp://127.0.0.1:" + arg})
	case optBindIPC, optDialIPC:
		cfg.addrs = append(cfg.addrs, address{listen: id == optBindIPC, url: "ipc:///" + arg})
	case optCount:
		var n int32
		n, err = intArg(arg, 0x7fffffff)
		cfg.count = int(n)
	case optRecvMaxSize:
		var n int32
		n, err = intArg(arg, 0x7fffffff)
		cfg.recvMaxSize = int(n)
	case optDelay:
		cfg.delay, err = secsArg(arg)
	case optInterval:
		cfg.interval, err = secsArg(arg)
	case optRecvTimeout:
		cfg.recvTimeout, err = secsArg(arg)
	case optSendTimeout:
		cfg.sendTimeout, err = secsArg(arg)
	case optSubscribe:
		cfg.topics = append(cfg.topics, arg)
		cfg.subscribed = true
	case optRaw, optASCII, optHex, optMsgpack, optQuoted:
		if cfg.format != "" {
			return fail("Format may be specified only once.")
		}
		cfg.format = formatFlags[id]
	case optFormat:
		if cfg.format != "" {
			return fail("Format may be specified only once.")
		}
		switch arg {
		case "no", "raw", "ascii", "hex", "msgpack", "quoted":
			cfg.format = arg
		default:
			return fail("Invalid format specified.")
		}
	case optData, optFile:
		if cfg.data != nil {
			return fail("Data (--file, --data) may be specified only once.")
		}
		if id == optData {
			cfg.data = []byte(arg)
		} else if cfg.data, err = loadFile(arg, stdin); err == nil && cfg.data == nil {
			cfg.data = []byte{}
		}
	case optStats:
		cfg.stats = true
	case optCompat:
		cfg.compat = true
	case optAsync:
		cfg.async = true
	case optInsecure:
		cfg.insecure = true
	case optCACert:
		cfg.cacert, err = loadFile(arg, stdin)
	case optCert:
		cfg.cert, err = loadFile(arg, stdin)
	case optKey:
		cfg.key, err = loadFile(arg, stdin)
	case optZTHome, optSocket:
		// Accepted and unused: sp's zt transport uses the host's ZeroTier
		// One interface, not an embedded node with a home; nngcat ignores
		// --socket.
	}
	return err
}

// check validates the combination, in nngcat's order and words. Unlike
// nngcat 1.5.2, where it fails with "No protocol specified.", bare --pair
// means pair1 (pair0 with --compat), as nng's documentation says.
func (cfg *config) check() error {
	if len(cfg.addrs) == 0 {
		return fail("No address specified.")
	}
	if cfg.compat {
		if cfg.async {
			return fail("Options --async and --compat are incompatible.")
		}
		if cfg.count != 0 {
			return fail("Options --count and --compat are incompatible.")
		}
		if cfg.proto == optPair {
			cfg.proto = optPair0
		}
		if cfg.proto == optPair1 {
			return fail("Protocol does not support --compat.")
		}
		cfg.async = true
	} else if cfg.proto == optPair {
		cfg.proto = optPair1
	}
	if cfg.proto == optSub0 {
		if !cfg.subscribed {
			cfg.topics = []string{""}
		}
	} else if cfg.subscribed {
		return fail("Protocol does not support --subscribe.")
	}
	switch cfg.proto {
	case optPull0, optSub0:
		if cfg.data != nil {
			return fail("Protocol does not support --file or --data.")
		}
		if cfg.interval >= 0 {
			return fail("Protocol does not support --interval.")
		}
	case optPush0, optPub0:
		if cfg.format != "" {
			return fail("Protocol does not support --format options.")
		}
		if cfg.data == nil {
			return fail("Protocol requires either --file or --data.")
		}
	case optSurveyor0, optReq0:
		if cfg.data == nil {
			return fail("Protocol requires either --file or --data.")
		}
	case optRep0, optRespondent0:
		if cfg.interval >= 0 {
			return fail("Protocol does not support --interval.")
		}
	case optPair0, optPair1, optBus0, optStar:
		if cfg.interval >= 0 && cfg.data == nil {
			return fail("Option --interval requires either --file or --data.")
		}
	case optNone:
		return fail("No protocol specified.")
	}
	return nil
}
