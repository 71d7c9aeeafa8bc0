package templates

import (
	"errors"
	"fmt"
	htemplate "html/template"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	ttemplate "text/template"
	"text/template/parse"
)

// Problem is one thing wrong with a template file. Line is 0 when the
// problem concerns the file as a whole (e.g. its name).
type Problem struct {
	File   string // file name, e.g. "ack.de.txt.tmpl"
	Line   int
	Reason string
}

// String returns "FILE:LINE: reason", or "FILE: reason" without a line.
func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Reason)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Reason)
}

// ProblemsError is the error Live returns when a set is rejected; use
// errors.As to list the problems.
type ProblemsError struct {
	Dir      string
	Problems []Problem
}

func (e *ProblemsError) Error() string {
	return fmt.Sprintf("templates in %s rejected, %d problem(s):\n%s", e.Dir, len(e.Problems), formatProblems(e.Problems))
}

func formatProblems(problems []Problem) string {
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = "  " + p.String()
	}
	return strings.Join(lines, "\n")
}

// Check validates the override templates in dir the way Load does and
// returns every problem found; none means Load would accept the directory.
// A directory that cannot be read is reported as a problem with that
// directory as its file.
func Check(dir string) []Problem {
	_, problems, err := Load(dir)
	if err != nil {
		return []Problem{{File: dir, Reason: err.Error()}}
	}
	return problems
}

// compileFiles parses and checks template files (name → source) and
// returns them by kind, language and part, or the problems found.
func compileFiles(files map[string]string, sourceOf func(name string) string) (map[partKey]*compiled, []Problem) {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	parts := map[partKey]*compiled{}
	var problems []Problem
	for _, name := range names {
		kind, lang, part, err := parseFileName(name)
		if err != nil {
			problems = append(problems, Problem{File: name, Reason: err.Error()})
			continue
		}
		c, ps := compile(name, files[name], kind, lang, part)
		if len(ps) > 0 {
			problems = append(problems, ps...)
			continue
		}
		c.source = sourceOf(name)
		parts[partKey{kind, lang, part}] = c
	}
	return parts, problems
}

// missingParts lists kind×lang×part combinations absent from parts.
func missingParts(parts map[partKey]*compiled) []Problem {
	var problems []Problem
	for _, k := range Kinds {
		for _, lang := range Languages {
			for _, part := range Parts {
				if parts[partKey{k, lang, part}] == nil {
					problems = append(problems, Problem{File: FileName(k, lang, part), Reason: "missing"})
				}
			}
		}
	}
	return problems
}

// compile parses one file, walks its parse tree for field chains unknown to
// Data, and executes it against Sample data (which also runs html/template's
// contextual escaper, whose errors only appear then).
func compile(name, src string, kind Kind, lang, part string) (*compiled, []Problem) {
	c := &compiled{name: name}
	var err error
	var trees []*parse.Tree
	if part == PartHTML {
		c.html, err = htemplate.New(name).Funcs(FuncMap()).Option("missingkey=error").Parse(src)
		if err == nil {
			for _, t := range c.html.Templates() {
				trees = append(trees, t.Tree)
			}
		}
	} else {
		c.text, err = ttemplate.New(name).Funcs(FuncMap()).Option("missingkey=error").Parse(src)
		if err == nil {
			for _, t := range c.text.Templates() {
				trees = append(trees, t.Tree)
			}
		}
	}
	if err != nil {
		return nil, []Problem{templateProblem(name, err)}
	}
	if problems := checkFields(name, src, trees); len(problems) > 0 {
		return nil, problems
	}
	d := Sample(kind, lang)
	var out strings.Builder
	if err := c.execute(&out, d.prepare(lang, zoneLocation(d.Zone))); err != nil {
		return nil, []Problem{templateProblem(name, err)}
	}
	// An empty part is almost always a truncated or half-saved file.
	if strings.TrimSpace(out.String()) == "" {
		return nil, []Problem{{File: name, Reason: "renders nothing with the sample data"}}
	}
	return c, nil
}

// templateErrLine matches the location text/template and html/template put
// in their errors: "template: NAME:LINE:COL: reason" or "html/template:NAME:LINE:COL: reason".
var templateErrLine = regexp.MustCompile(`^(?:html/)?template: ?(.+?):(\d+)(?::\d+)?: (.*)$`)

var escaperState = regexp.MustCompile(`:? \{state[^}]*\}(, \{state[^}]*\})*`)

func templateProblem(name string, err error) Problem {
	msg := err.Error()
	var ee ttemplate.ExecError
	if errors.As(err, &ee) {
		msg = ee.Err.Error()
	}
	if m := templateErrLine.FindStringSubmatch(strings.SplitN(msg, "\n", 2)[0]); m != nil && strings.HasPrefix(m[1], name) {
		line, _ := strconv.Atoi(m[2])
		reason := strings.TrimPrefix(m[3], "executing \""+name+"\" ")
		// html/template appends its internal parser state; admins cannot use it.
		reason = escaperState.ReplaceAllString(reason, "")
		return Problem{File: name, Line: line, Reason: reason}
	}
	return Problem{File: name, Reason: msg}
}

// A dotType is what the checker knows about dot: its type (nil when
// unknown, e.g. after a function call) and how it was reached, for messages.
type dotType struct {
	t    reflect.Type
	path string // e.g. ".Ticket"; "" for Data itself
}

var dataType = reflect.TypeFor[Data]()

type fieldChecker struct {
	name     string
	src      string
	trees    map[string]*parse.Tree
	visited  map[string]bool
	problems []Problem
}

// checkFields walks every tree of one file statically, so a misspelt field
// inside an {{if}} branch the sample data never takes is still found.
// Templates defined with {{define}} are checked with the type they are
// invoked with; never-invoked ones are not checked.
func checkFields(name, src string, trees []*parse.Tree) []Problem {
	fc := &fieldChecker{name: name, src: src, trees: map[string]*parse.Tree{}, visited: map[string]bool{}}
	for _, t := range trees {
		if t != nil {
			fc.trees[t.Name] = t
		}
	}
	fc.tree(name, dotType{t: dataType})
	return fc.problems
}

func (fc *fieldChecker) tree(name string, dot dotType) {
	t := fc.trees[name]
	key := name + "\x00" + fmt.Sprint(dot.t)
	if t == nil || t.Root == nil || fc.visited[key] {
		return
	}
	fc.visited[key] = true
	fc.node(t.Root, dot)
}

func (fc *fieldChecker) node(n parse.Node, dot dotType) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			fc.node(c, dot)
		}
	case *parse.ActionNode:
		fc.pipe(n.Pipe, dot)
	case *parse.IfNode:
		fc.pipe(n.Pipe, dot)
		fc.node(n.List, dot)
		fc.node(n.ElseList, dot)
	case *parse.WithNode:
		fc.node(n.List, fc.pipe(n.Pipe, dot))
		fc.node(n.ElseList, dot)
	case *parse.RangeNode:
		fc.node(n.List, elemType(fc.pipe(n.Pipe, dot)))
		fc.node(n.ElseList, dot)
	case *parse.TemplateNode:
		arg := dotType{}
		if n.Pipe != nil {
			arg = fc.pipe(n.Pipe, dot)
		}
		fc.tree(n.Name, arg)
	}
}

// pipe checks every argument of a pipeline and returns the type it yields
// when that is simply a field chain.
func (fc *fieldChecker) pipe(p *parse.PipeNode, dot dotType) dotType {
	if p == nil {
		return dotType{}
	}
	var last dotType
	for _, cmd := range p.Cmds {
		last = dotType{}
		for i, arg := range cmd.Args {
			t := fc.arg(arg, dot)
			// The first argument gives the command's type when it is a
			// field chain; with more arguments it is a method call.
			if _, isField := arg.(*parse.FieldNode); i == 0 && (len(cmd.Args) == 1 || isField) {
				last = t
			}
		}
	}
	return last
}

func (fc *fieldChecker) arg(n parse.Node, dot dotType) dotType {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		return fc.chain(dot, n.Ident, n.Position())
	case *parse.VariableNode:
		if n.Ident[0] == "$" {
			return fc.chain(dotType{t: dataType}, n.Ident[1:], n.Position())
		}
	case *parse.PipeNode:
		return fc.pipe(n, dot)
	case *parse.ChainNode:
		fc.arg(n.Node, dot)
	}
	return dotType{}
}

// chain resolves .A.B.C from dot, reporting the first unknown name.
func (fc *fieldChecker) chain(dot dotType, idents []string, pos parse.Pos) dotType {
	cur := dot
	for _, id := range idents {
		if cur.t == nil {
			return dotType{}
		}
		next, ok := member(cur.t, id)
		if !ok {
			fc.problems = append(fc.problems, Problem{
				File:   fc.name,
				Line:   1 + strings.Count(fc.src[:min(int(pos), len(fc.src))], "\n"),
				Reason: unknownField(cur, id),
			})
			return dotType{}
		}
		cur = dotType{t: next, path: cur.path + "." + id}
	}
	return cur
}

// member returns the type of field or method name of t, as text/template
// would evaluate it.
func member(t reflect.Type, name string) (reflect.Type, bool) {
	for t.Kind() == reflect.Pointer {
		if m, ok := t.MethodByName(name); ok {
			return m.Type.Out(0), m.Type.NumOut() > 0
		}
		t = t.Elem()
	}
	if m, ok := t.MethodByName(name); ok && m.Type.NumOut() > 0 {
		return m.Type.Out(0), true
	}
	if m, ok := reflect.PointerTo(t).MethodByName(name); ok && m.Type.NumOut() > 0 {
		return m.Type.Out(0), true
	}
	switch t.Kind() {
	case reflect.Struct:
		if f, ok := t.FieldByName(name); ok && f.IsExported() {
			return f.Type, true
		}
	case reflect.Map:
		return t.Elem(), true
	case reflect.Interface:
		return nil, true
	}
	return nil, false
}

func unknownField(cur dotType, id string) string {
	t := cur.t
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		where := cur.path
		if where == "" {
			where = "dot"
		}
		return fmt.Sprintf("field .%s used on %s, which is a %s and has no fields", id, where, t)
	}
	var known []string
	for f := range t.Fields() {
		if f.IsExported() {
			known = append(known, cur.path+"."+f.Name)
		}
	}
	pt := reflect.PointerTo(t)
	for m := range pt.Methods() {
		known = append(known, cur.path+"."+m.Name)
	}
	return fmt.Sprintf("unknown field %s.%s (known: %s)", cur.path, id, strings.Join(known, ", "))
}

// elemType is the type of dot inside {{range}} over a value of type d.
func elemType(d dotType) dotType {
	if d.t == nil {
		return dotType{}
	}
	t := d.t
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array, reflect.Map, reflect.Chan:
		return dotType{t: t.Elem(), path: d.path + "[…]"}
	}
	return dotType{}
}
