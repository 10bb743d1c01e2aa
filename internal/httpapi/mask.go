package httpapi

// maskName keeps the first character of a name: 张三 → 张*, 欧阳娜娜 → 欧***.
func maskName(s string) string {
	r := []rune(s)
	if len(r) <= 1 {
		return s
	}
	out := []rune{r[0]}
	for range r[1:] {
		out = append(out, '*')
	}
	return string(out)
}

// maskID keeps the first four and last four characters of an ID number.
func maskID(s string) string {
	r := []rune(s)
	if len(r) <= 8 {
		out := make([]rune, len(r))
		for i := range out {
			out[i] = '*'
		}
		return string(out)
	}
	out := append([]rune{}, r[:4]...)
	for range r[4 : len(r)-4] {
		out = append(out, '*')
	}
	return string(append(out, r[len(r)-4:]...))
}
