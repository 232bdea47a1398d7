package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/rcsd-dev/rcsd/core/api"
)

// Weights of 1e308 summed to +Inf and scored NaN: the reply could not be
// encoded ("error internal", HTTP 500) with both criteria met, and one of
// two met scored 0. Now such a rubric is refused where it is read, with
// the criterion's JSON path, in every method that reads rubrics.
func TestHugeWeightsRefusedNotInternal(t *testing.T) {
	const rub = `{"schema_version":1,"criteria":[` +
		`{"id":"c1","description":"mentions alpha","weight":1e308,"checks":[{"kind":"contains","terms":["alpha"]}]},` +
		`{"id":"c2","description":"mentions beta","weight":1e308,"checks":[{"kind":"contains","terms":["beta"]}]}]}`
	item := `{"id":"a","prompt":"q","responses":["alpha beta","alpha"],"rubric":` + rub + `}`
	calls := []struct{ method, body string }{
		{api.MethodEvaluate, `{"config":{"judge":"rules"},"items":` + quote(item) + `}`},
		{api.MethodEvaluate, `{"config":{"judge":"rules"},"rubric":` + quote(rub) + `,"items":` + quote(`{"id":"b","prompt":"q","response":"alpha beta"}`) + `}`},
		{api.MethodValidate, `{"kind":"rubric","content":` + quote(rub) + `}`},
		{api.MethodPlayground, `{"rubric":` + quote(rub) + `,"item":` + quote(`{"id":"b","prompt":"q","response":"alpha beta"}`) + `}`},
	}
	for _, c := range calls {
		r := api.Call(context.Background(), api.Host{}, c.method, []byte(c.body))
		body := string(r.Body)
		if r.Status >= 500 || strings.Contains(body, "internal") || strings.Contains(body, "NaN") {
			t.Errorf("%s: status %d, body %s", c.method, r.Status, body)
			continue
		}
		if !strings.Contains(body, `"code":"weight-out-of-bounds"`) || !strings.Contains(body, `criteria[0].weight`) {
			t.Errorf("%s: no located weight-out-of-bounds error: %s", c.method, body)
		}
		if strings.Contains(body, `"score":`) && !strings.Contains(body, `"results":[]`) {
			t.Errorf("%s: a score was given for a refused rubric: %s", c.method, body)
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
