package m2conf

import (
	"errors"
	"strconv"
)

// File is a parsed config file.
type File struct {
	Name string
	// Vars holds the top-level assignments in source order, duplicates
	// included.
	Vars []*Assign
}

// Lookup returns the top-level assignment of name, or nil. When a name is
// assigned twice the later assignment wins, as in m2sh.
func (f *File) Lookup(name string) *Assign {
	return lastAssign(f.Vars, name)
}

// Assign is `Name = Value`, at top level or as a class argument.
type Assign struct {
	NamePos Pos
	Name    string
	Value   Value
}

// Value is one of *String, *Number, *Ref, *Class, *List or *Dict.
type Value interface {
	// Pos is where the value starts in the file.
	Pos() Pos
	// Kind names the kind of value for messages: "string", "number",
	// "reference", "class", "list" or "dict".
	Kind() string
}

// String is a quoted string. Value is the text between the quotes exactly
// as written, backslashes included.
type String struct {
	At    Pos
	Value string
}

// Number is an unsigned decimal literal, kept as written ("007" stays
// "007": m2sh stores settings with their original text).
type Number struct {
	At   Pos
	Text string
}

// ErrRange is returned by Number.Int for literals that do not fit an int64.
var ErrRange = errors.New("m2conf: number out of range")

// Int returns the value of the literal.
func (n *Number) Int() (int64, error) {
	v, err := strconv.ParseInt(n.Text, 10, 64)
	if err != nil {
		return 0, ErrRange
	}
	return v, nil
}

// Ref is a bare identifier used as a value: a reference to the top-level
// variable Name, which may be defined anywhere in the file.
type Ref struct {
	At   Pos
	Name string
	// Target is the value the reference stands for, never itself a *Ref.
	// Parse fills it in; it is nil only in a File that failed to parse.
	Target Value
}

// Class is `Name(arg = value, ...)`.
type Class struct {
	At   Pos
	Name string
	// Args holds the arguments in source order, duplicates included.
	Args []*Assign
}

// Arg returns the argument called name, or nil. The later of two
// arguments with the same name wins, as in m2sh.
func (c *Class) Arg(name string) *Assign {
	return lastAssign(c.Args, name)
}

// List is `[value, ...]`.
type List struct {
	At    Pos
	Elems []Value
}

// Dict is `{"key": value, ...}`.
type Dict struct {
	At Pos
	// Items holds the entries in source order, duplicates included.
	Items []*Item
}

// Item is one `"key": value` entry of a Dict.
type Item struct {
	KeyPos Pos
	Key    string
	Value  Value
}

func (v *String) Pos() Pos { return v.At }
func (v *Number) Pos() Pos { return v.At }
func (v *Ref) Pos() Pos    { return v.At }
func (v *Class) Pos() Pos  { return v.At }
func (v *List) Pos() Pos   { return v.At }
func (v *Dict) Pos() Pos   { return v.At }

func (*String) Kind() string { return "string" }
func (*Number) Kind() string { return "number" }
func (*Ref) Kind() string    { return "reference" }
func (*Class) Kind() string  { return "class" }
func (*List) Kind() string   { return "list" }
func (*Dict) Kind() string   { return "dict" }

// Deref returns what v stands for: the target of a reference, or v itself.
// Two references to the same variable deref to the same pointer, which is
// how m2sh tells that two routes share one target object.
func Deref(v Value) Value {
	if r, ok := v.(*Ref); ok && r.Target != nil {
		return r.Target
	}
	return v
}

func lastAssign(list []*Assign, name string) *Assign {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i].Name == name {
			return list[i]
		}
	}
	return nil
}
