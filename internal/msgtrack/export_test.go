package msgtrack

// Collected runs what a record's cleanup runs, for tests.
var Collected = collected

// MaxKept is maxKept, for tests.
const MaxKept = maxKept
