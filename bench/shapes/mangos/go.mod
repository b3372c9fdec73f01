module github.com/spgo/sp/bench/shapes/mangos

go 1.25.0

require go.nanomsg.org/mangos/v3 v3.4.2
