// Command spcat is a drop-in for nngcat (nng 1.5.2): it sends and receives
// Scalability Protocols messages from the command line, and a script written
// for nngcat runs unchanged on it. It is built on package sp, in pure Go.
//
// Usage:
//
//	spcat <proto> <addr>... [<fmt>] [<opts>...] [<src>]
//
// It takes every option of nngcat, with the same meaning, aliases and
// syntax: long options may be abbreviated to any unambiguous prefix and take
// their argument as "--opt value", "--opt=value" or "--opt:value"; short ones
// as "-C 5" or "-C5". Parsing stops at the first word that is not an option.
// Errors are nngcat's, word for word, on one line of stderr, exit status 1;
// --help prints the usage on stdout and exits 1, --version prints 1.5.2 (the
// nngcat release spcat reproduces).
//
// What it prints for the messages it receives is byte for byte what nngcat
// prints, in every format (--raw, --ascii, --quoted, --hex, --msgpack; none
// by default), and it sends, replies, counts, repeats, waits and exits as
// nngcat does:
//
//   - push, pub: send --data (or --file) once, or --count times every
//     --interval seconds, after --delay; then wait 0.2 s for the queues to
//     drain and exit.
//   - pull, sub, and rep, respondent, pair, bus without data: print what
//     arrives; exit after --count messages, or with status 0 when nothing
//     arrives for --recv-timeout seconds.
//   - rep, respondent with data: answer every request with it; --count
//     answers, then exit; here a receive timeout is an error ("Receive error:
//     Timed out", status 1), as in nngcat.
//   - req, surveyor, and pair, bus with data: send, then print what comes
//     back until the exchange ends (the reply, the end of the survey), the
//     receive times out or the next --interval begins.
//   - a send that times out (--send-timeout) is "Send error: Timed out",
//     status 1.
//
// Beyond nngcat:
//
//   - --bus0/--bus (hidden in nngcat) and --star (mangos' star protocol).
//   - --stats prints the socket's statistics (sp.SocketStats) as JSON on
//     stderr when spcat exits; stdout stays what nngcat would print.
//   - --pair is pair1 (pair0 with --compat), as nng's documentation says;
//     nngcat 1.5.2 fails with "No protocol specified." instead.
//   - --delay, --interval, --recv-timeout and --send-timeout take decimal
//     fractions of a second (0.5); nngcat takes whole seconds only.
//   - --count N without --interval makes N rounds back to back; nngcat 1.5.2
//     often fails there with "Cannot set recv timeout: Invalid argument".
//   - every transport of sp: tcp, ipc (and unix, abstract), inproc (useless
//     across processes), tls+tcp and wss with --cert, --key, --cacert and
//     --insecure, ws, and zt:// over the host's ZeroTier One interface
//     (--zt-home, the home of nng's embedded node, is accepted and unused).
package main

import "os"

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// usage is nngcat's, with spcat's name and its extra protocols.
const usage = `Usage: spcat <proto> <addr>... [<fmt>] [<opts>...] [<src>]

<proto> must be one of:
  --req0                 (or alias --req)
  --rep0                 (or alias --rep)
  --pub0                 (or alias --pub)
  --sub0                 (or alias --sub)
  --push0                (or alias --push)
  --pull0                (or alias --pull)
  --surveyor0            (or alias --surveyor)
  --respondent0          (or alias --respondent)
  --pair0
  --pair1
  --pair                 (alias for either pair0 or pair1)
  --bus0                 (or alias --bus)
  --star

<addr> must be one or more of:
  --dial <url>           (or alias --connect <url>)
  --listen <url>         (or alias --bind <url>)
  --bind-local <port>    (or alias -L <port>)
  --connect-local <port> (or alias -l <port>)
  --bind-ipc <path>      (or alias -X <path>)
  --connect-ipc <path>   (or alias -x <path>)

<fmt> may be one or none of:
  --format <no|ascii|hex|msgpack|quoted|raw>
  --ascii                (or alias -A)
  --quoted               (or alias -Q)
  --hex
  --msgpack
  --raw

<opts> may be any of:
  --subscribe <topic>    (only with --sub protocol)
  --silent               (or alias -q)
  --verbose              (or alias -v)
  --count <num>          (or alias -C <num>)
  --delay <secs>         (or alias -d <secs>)
  --interval <secs>      (or alias -i <secs>)
  --recv-timeout <secs>
  --send-timeout <secs>
  --recv-maxsz <size>    (or alias -Z <size>)
  --compat
  --async
  --insecure             (or alias -k)
  --cacert <file>
  --cert <file>          (or alias -E <file>)
  --key <file>
  --zt-home <path>
  --stats                (print the socket's statistics as JSON on stderr at exit)

<src> may be one of:
  --file <file>          (or alias -F <file>). Use - for standard input.
  --data <data>          (or alias -D <data>)
`
