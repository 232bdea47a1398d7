//go:build race

package main

// raceEnabled: the race detector keeps shadow memory for every heap byte
// the program touched and never gives it back to the system, so RSS
// after a burst says nothing about rcsd's own memory under -race.
const raceEnabled = true
