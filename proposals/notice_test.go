package proposals

import "testing"

func TestNoticeTravelsAsText(t *testing.T) {
	for _, n := range []Notice{{NoticeVotes, 12}, {NoticeSessions, 0}, {NoticeStatement, 0}, {NoticeEverything, 0}} {
		if got, ok := ParseNotice(n.String()); !ok || got != n {
			t.Errorf("%v read back as %v, %v", n, got, ok)
		}
	}
	for _, bad := range []string{"", "votes", "votes:x", "other:1", ":1"} {
		if _, ok := ParseNotice(bad); ok {
			t.Errorf("%q read as a notice", bad)
		}
	}
}
