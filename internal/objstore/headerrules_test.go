package objstore

import (
	"reflect"
	"testing"
)

func TestHeaderRules(t *testing.T) {
	var rules []HeaderRule
	for _, s := range []string{"*.css:Cache-Control=max-age=60", "*.css:cache-control=max-age=86400", "assets/*.js:X-Amz-Meta-Owner=web",
		"*:Content-Language=en", "*.pdf:Content-Disposition=attachment; filename=\"x=y\""} {
		p, h, v, err := ParseHeaderRule(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		rules = SetRuleHeader(rules, p, h, v)
	}
	if len(rules) != 4 || rules[0].Headers["Cache-Control"] != "max-age=86400" || rules[1].Headers["x-amz-meta-owner"] != "web" {
		t.Fatalf("rules = %+v", rules)
	}
	if rules[3].Headers["Content-Disposition"] != `attachment; filename="x=y"` {
		t.Fatalf("a value with = in it: %+v", rules[3])
	}
	cases := map[string]map[string]string{
		"x/style.css":     {"Cache-Control": "max-age=86400", "Content-Language": "en"},
		"assets/app.js":   {"x-amz-meta-owner": "web", "Content-Language": "en"},
		"assets/x/app.js": {"Content-Language": "en"},
	}
	for key, want := range cases {
		if got := RuleDefaults(rules, key); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", key, got, want)
		}
	}
	for _, bad := range []string{"nope", ":Cache-Control=x", "*.x:Authorization=y", "[:Cache-Control=x", "*.x:=y", "a:b:Cache-Control=x"} {
		if _, _, _, err := ParseHeaderRule(bad); err == nil {
			t.Errorf("ParseHeaderRule(%q) accepted", bad)
		}
	}
	rules, ok := RemoveRule(rules, "*.css", "Cache-Control")
	if !ok || len(rules) != 3 {
		t.Fatalf("remove the only header: %v %+v", ok, rules)
	}
	if _, ok := RemoveRule(rules, "*.nothing", ""); ok {
		t.Fatal("removed a rule that is not there")
	}
	if rules, ok = RemoveRule(rules, "*", ""); !ok || len(rules) != 2 {
		t.Fatalf("remove a rule: %+v", rules)
	}
	if err := (HeaderRule{Pattern: "*.a", Headers: map[string]string{"cache-control": "x"}}).Validate(); err == nil {
		t.Error("a header not in canonical form validated")
	}
}
