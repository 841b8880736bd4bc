package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestEveryKindHasAName(t *testing.T) {
	ks := Kinds()
	if ks[0] != Unknown || ks[len(ks)-1] < Config {
		t.Fatalf("Kinds() = %v", ks)
	}
	for _, k := range ks {
		if _, ok := kindNames[k]; !ok {
			t.Errorf("kind %d has no name", k)
		}
	}
}

func TestKindAndHintSurviveWrapping(t *testing.T) {
	base := errors.New("connection refused")
	err := fmt.Errorf("list s3://b: %w", Wrap(Network, base, "start the server"))
	err = fmt.Errorf("sync: %w", err)
	if KindOf(err) != Network {
		t.Fatalf("KindOf = %v", KindOf(err))
	}
	if HintOf(err) != "start the server" {
		t.Fatalf("HintOf = %q", HintOf(err))
	}
	if !errors.Is(err, base) {
		t.Fatal("the cause is lost")
	}
	if err.Error() != "sync: list s3://b: connection refused" {
		t.Fatalf("Error() = %q", err.Error())
	}
}

func TestOuterKindWinsAndHintIsAdded(t *testing.T) {
	inner := New(NotFound, "no such thing", "")
	outer := WithHint(Wrap(Partial, inner, ""), "retry the failed ones")
	if KindOf(outer) != Partial {
		t.Fatalf("KindOf = %v, want the outer kind", KindOf(outer))
	}
	if HintOf(outer) != "retry the failed ones" {
		t.Fatalf("HintOf = %q", HintOf(outer))
	}
	if KindOf(errors.New("plain")) != Unknown || HintOf(errors.New("plain")) != "" {
		t.Fatal("a plain error has a kind or hint")
	}
	if Wrap(Usage, nil, "x") != nil || WithHint(nil, "x") != nil {
		t.Fatal("wrapping nil must give nil")
	}
}

func TestUnknownKindLooksThrough(t *testing.T) {
	err := &Error{Hint: "outer hint", Err: New(Auth, "expired", "")}
	if KindOf(err) != Auth {
		t.Fatalf("KindOf = %v, want the inner kind", KindOf(err))
	}
}
