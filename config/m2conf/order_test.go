package m2conf

import (
	"reflect"
	"strings"
	"testing"
)

// Each case was checked against m2sh 1.12.2: the keys are written in the
// given order as the routes of one host, and want is the order of the rows
// it inserted into the route table.
func TestEntriesOrderMatchesM2sh(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want []string
	}{
		{
			name: "single letters",
			keys: []string{"z", "a", "m", "n", "q", "e"},
			want: []string{"z", "a", "m", "e", "n", "q"},
		},
		{
			name: "examples/configs/mongrel2.conf",
			keys: []string{"@chat", "/handlertest", "/chat/", "/", "/tests/", `/testsmulti/(.*\.json)`, "/chatdemo/", "/static/", "/mp3stream"},
			want: []string{"/", "@chat", "/chat/", "/tests/", "/static/", "/chatdemo/", "/handlertest", "/mp3stream", `/testsmulti/(.*\.json)`},
		},
		{
			name: "examples/configs/multi_handler.conf",
			keys: []string{"/", "/a", "/b", "/c", "/d", "@stuff", "@chat", "/static/", "/cache/"},
			want: []string{"/", "/a", "/b", "/c", "/d", "@chat", "@stuff", "/cache/", "/static/"},
		},
		{
			// C char is signed: 0xc3 sorts below 'a'.
			name: "bytes above 0x7f",
			keys: []string{"/\u00e9", "/a", "/\u00ff", "/~"},
			want: []string{"/\u00e9", "/a", "/\u00ff", "/~"},
		},
		{
			name: "empty key",
			keys: []string{"", "/a", "b"},
			want: []string{"", "/a", "b"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := &Dict{}
			for _, k := range tc.keys {
				d.Items = append(d.Items, &Item{Key: k, Value: &String{Value: k}})
			}
			var got []string
			for _, it := range d.Entries() {
				got = append(got, it.Key)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestEntriesDuplicateKeepsFirstPositionLastValue(t *testing.T) {
	d := &Dict{Items: []*Item{
		{Key: "b", Value: &String{Value: "b1"}},
		{Key: "a", Value: &String{Value: "a1"}},
		{Key: "b", Value: &String{Value: "b2"}},
	}}
	var got []string
	for _, it := range d.Entries() {
		got = append(got, it.Key+"="+it.Value.(*String).Value)
	}
	if want := []string{"b=b2", "a=a1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestEntriesKeysThatArePrefixes(t *testing.T) {
	d := &Dict{}
	for _, k := range strings.Fields("/users /us /users/x /u") {
		d.Items = append(d.Items, &Item{Key: k})
	}
	if got := len(d.Entries()); got != 4 {
		t.Fatalf("got %d entries, want 4", got)
	}
}
