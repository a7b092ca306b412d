package graph

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
)

// kindStyle is the DOT node style of each kind.
var kindStyle = [NumKinds]string{
	KindTask:       `shape=box, style=filled, fillcolor="#dbe9f6"`,
	KindMerge:      `shape=ellipse, style=filled, fillcolor="#fde0c5"`,
	KindMergeAll:   `shape=doubleoctagon, style=filled, fillcolor="#f9c58d"`,
	KindGetResults: `shape=hexagon, style=filled, fillcolor="#d5f0d0"`,
	KindFinalize:   `shape=house, style=filled, fillcolor="#b8e0b0"`,
	KindUser:       `shape=component, style=filled, fillcolor="#eeeeee"`,
}

// WriteDOT writes g in Graphviz DOT, one node per line in insertion order,
// labelled with its label and kind, shaped and coloured by kind; lane-bound
// nodes get a dashed border and their lane in the label; edges run from a
// dependency to its dependent. Dependencies missing from g are drawn as
// red dotted placeholders.
func (g *Graph) WriteDOT(w io.Writer) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("digraph stemflow {\n\trankdir=TB;\n\tnode [fontname=\"Helvetica\", fontsize=10];\n")
	for i := range g.nodes {
		n := &g.nodes[i]
		label := n.label() + "\n" + n.Kind.String()
		if n.Lane != "" {
			label += " @" + n.Lane
		}
		style := kindStyle[n.Kind]
		if n.Lane != "" {
			style += `, penwidth=2, color="#7a3e9d"`
		}
		fmt.Fprintf(bw, "\t%s [label=%s, %s];\n", strconv.Quote(string(n.Key)), quoteLabel(label), style)
	}
	missing := map[Key]bool{}
	for i := range g.nodes {
		n := &g.nodes[i]
		for _, d := range n.Deps {
			if !g.Has(d) && !missing[d] {
				missing[d] = true
				fmt.Fprintf(bw, "\t%s [shape=box, style=dotted, color=red];\n", strconv.Quote(string(d)))
			}
			fmt.Fprintf(bw, "\t%s -> %s;\n", strconv.Quote(string(d)), strconv.Quote(string(n.Key)))
		}
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

// quoteLabel quotes s for DOT, turning newlines into DOT line breaks.
func quoteLabel(s string) string {
	var b bytes.Buffer
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// ErrNoGraphviz is returned by WriteSVG when the Graphviz dot program is not
// on the PATH.
var ErrNoGraphviz = errors.New("graph: Graphviz 'dot' not found on PATH")

// WriteSVG renders g as SVG with Graphviz `dot -Tsvg`. It fails with
// ErrNoGraphviz when dot is not installed.
func (g *Graph) WriteSVG(ctx context.Context, w io.Writer) error {
	path, err := exec.LookPath("dot")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoGraphviz, err)
	}
	var src bytes.Buffer
	if err := g.WriteDOT(&src); err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "-Tsvg")
	cmd.Stdin = &src
	cmd.Stdout = w
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("graph: dot -Tsvg: %w: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	return nil
}
