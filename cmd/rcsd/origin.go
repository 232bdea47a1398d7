package main

import (
	"strings"

	"github.com/rcsd-dev/rcsd/core/httpapi"
)

// originsFlag is `rcsd serve --allow-origin URL`, repeatable: the web
// origins that may call a server holding a grader key (httpapi's
// AllowOrigins). Each is checked when given, so a typo is a usage error
// rather than a silently refused page.
type originsFlag []string

func (o *originsFlag) String() string { return strings.Join(*o, ",") }

func (o *originsFlag) Set(v string) error {
	if strings.TrimSpace(v) == "*" {
		*o = append(*o, "*")
		return nil
	}
	n, err := httpapi.ParseOrigin(v)
	if err != nil {
		return err
	}
	*o = append(*o, n)
	return nil
}
