package m2conf

import "strings"

// resolve points every Ref in f at the value it stands for. References may
// name variables defined later in the file, and a chain of variables that
// name each other (`a = b`, `b = Dir(...)`) resolves to its final value.
// Every reference is checked, used or not, so that a typo is reported even
// in a definition nothing uses yet.
func resolve(f *File) ErrorList {
	r := &resolver{file: f}
	for _, a := range f.Vars {
		r.walk(a.Value)
	}
	return r.errs
}

type resolver struct {
	file *File
	errs ErrorList
}

func (r *resolver) walk(v Value) {
	switch v := v.(type) {
	case *Ref:
		r.resolveRef(v)
	case *Class:
		for _, a := range v.Args {
			r.walk(a.Value)
		}
	case *List:
		for _, e := range v.Elems {
			r.walk(e)
		}
	case *Dict:
		for _, it := range v.Items {
			r.walk(it.Value)
		}
	}
}

func (r *resolver) resolveRef(ref *Ref) {
	chain := []string{ref.Name}
	name := ref.Name
	for {
		a := r.file.Lookup(name)
		if a == nil {
			if len(chain) == 1 {
				r.errs = append(r.errs, Errorf(r.file.Name, ref.At, "undefined variable %s", name))
			} else {
				r.errs = append(r.errs, Errorf(r.file.Name, ref.At, "undefined variable %s (reached through %s)", name, strings.Join(chain, " -> ")))
			}
			return
		}
		next, ok := a.Value.(*Ref)
		if !ok {
			ref.Target = a.Value
			return
		}
		for _, seen := range chain {
			if seen == next.Name {
				r.errs = append(r.errs, Errorf(r.file.Name, ref.At, "reference cycle: %s -> %s", strings.Join(chain, " -> "), next.Name))
				return
			}
		}
		chain = append(chain, next.Name)
		name = next.Name
	}
}
