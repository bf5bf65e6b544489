package index

import "strings"

// RewriteBoolean turns the upper-case operators AND, OR and NOT, which
// analysts type but bleve's query-string syntax lacks, into its prefixes:
// both operands of AND become required (+), the operand of NOT excluded (-),
// and OR is dropped (clauses are optional by default). "refund AND rude"
// becomes "+refund +rude"; "refund NOT rude" becomes "refund -rude". There is
// no grouping: "a OR b AND c" is "a +b +c". Quoted phrases and escaped
// characters are kept whole; a query without these operators is returned
// unchanged.
func RewriteBoolean(q string) string {
	clauses := splitClauses(q)
	hasOp := false
	for _, c := range clauses {
		if isOperator(c) {
			hasOp = true
			break
		}
	}
	if !hasOp {
		return q
	}
	type clause struct {
		text               string
		required, excluded bool
	}
	var out []clause
	pendingAnd, pendingNot := false, false
	for _, c := range clauses {
		switch c {
		case "AND":
			if len(out) > 0 && !out[len(out)-1].excluded {
				out[len(out)-1].required = true
			}
			pendingAnd = len(out) > 0
		case "OR":
			pendingAnd = false
		case "NOT":
			pendingNot = true
		default:
			cl := clause{text: c}
			switch {
			case pendingNot:
				cl.text = strings.TrimLeft(c, "+-")
				cl.excluded = true
			case pendingAnd:
				cl.required = true
			}
			if cl.text != "" {
				out = append(out, cl)
			}
			pendingAnd, pendingNot = false, false
		}
	}
	parts := make([]string, 0, len(out))
	for _, c := range out {
		t := c.text
		switch {
		case c.excluded:
			t = "-" + t
		case c.required && t[0] != '+' && t[0] != '-':
			t = "+" + t
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, " ")
}

func isOperator(s string) bool { return s == "AND" || s == "OR" || s == "NOT" }

// splitClauses splits q at whitespace outside double quotes; a backslash
// escapes the next character.
func splitClauses(q string) []string {
	var out []string
	var b strings.Builder
	quoted, escaped := false, false
	for _, r := range q {
		switch {
		case escaped:
			escaped = false
		case r == '\\':
			escaped = true
		case r == '"':
			quoted = !quoted
		case !quoted && (r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\u3000'):
			if b.Len() > 0 {
				out = append(out, b.String())
				b.Reset()
			}
			continue
		}
		b.WriteRune(r)
	}
	if b.Len() > 0 {
		out = append(out, b.String())
	}
	return out
}
