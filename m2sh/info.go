package m2sh

import "fmt"

// version is the release m2sh reports; it names the Mongrel2 release whose
// behaviour this implementation follows.
const version = "Mongrel2/1.12.2"

// version prints the version. Options are accepted and ignored.
func (s *session) version(invocation) int {
	fmt.Fprintln(s.stdout, version)
	return exitOK
}
