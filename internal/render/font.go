package render

import (
	"image"
	"image/color"
)

// The label font: 3×5 pixel glyphs, drawn at an integer magnification. Only the
// characters that number labels and short captions need are defined; any other rune
// is drawn as '?'.
const (
	glyphW = 3
	glyphH = 5
)

var glyphs = map[rune][glyphH]string{
	'0': {"###", "#.#", "#.#", "#.#", "###"},
	'1': {".#.", "##.", ".#.", ".#.", "###"},
	'2': {"###", "..#", "###", "#..", "###"},
	'3': {"###", "..#", ".##", "..#", "###"},
	'4': {"#.#", "#.#", "###", "..#", "..#"},
	'5': {"###", "#..", "###", "..#", "###"},
	'6': {"###", "#..", "###", "#.#", "###"},
	'7': {"###", "..#", "..#", ".#.", ".#."},
	'8': {"###", "#.#", "###", "#.#", "###"},
	'9': {"###", "#.#", "###", "..#", "###"},
	'.': {"...", "...", "...", "...", ".#."},
	'-': {"...", "...", "###", "...", "..."},
	'+': {"...", ".#.", "###", ".#.", "..."},
	'e': {"###", "#..", "##.", "#..", "###"}, // drawn as a capital E: clearer at 3×5
	'a': {"...", "##.", ".##", "#.#", "###"},
	'n': {"...", "##.", "#.#", "#.#", "#.#"},
	'N': {"###", "#.#", "#.#", "#.#", "#.#"},
	'I': {"###", ".#.", ".#.", ".#.", "###"},
	'f': {".##", "#..", "###", "#..", "#.."},
	'l': {"##.", ".#.", ".#.", ".#.", "###"},
	'o': {"...", ".#.", "#.#", "#.#", ".#."},
	'g': {".##", "#.#", ".##", "..#", "##."},
	'm': {"...", "###", "###", "#.#", "#.#"},
	'x': {"...", "#.#", ".#.", ".#.", "#.#"},
	'i': {".#.", "...", ".#.", ".#.", ".#."},
	' ': {"...", "...", "...", "...", "..."},
	':': {"...", ".#.", "...", ".#.", "..."},
	'=': {"...", "###", "...", "###", "..."},
	'|': {".#.", ".#.", ".#.", ".#.", ".#."},
	'?': {"###", "..#", ".#.", "...", ".#."},
}

// wideGlyphs are 5×5 capitals for captions: at 3×5, "log" reads as "1o3", and O and
// G would read as 0 and 6; these have rounded O and G, distinct from every digit.
var wideGlyphs = map[rune][glyphH]string{
	'L': {"#....", "#....", "#....", "#....", "#####"},
	'O': {".###.", "#...#", "#...#", "#...#", ".###."},
	'G': {".####", "#....", "#..##", "#...#", ".###."},
}

// glyph returns the pattern of r ('?' for an unknown rune) and its width.
func glyph(r rune) ([glyphH]string, int) {
	if g, ok := wideGlyphs[r]; ok {
		return g, len(g[0])
	}
	if g, ok := glyphs[r]; ok {
		return g, glyphW
	}
	return glyphs['?'], glyphW
}

// textWidth is the width in pixels of s drawn at magnification scale (one blank
// column between glyphs, none after the last).
func textWidth(s string, scale int) int {
	w := 0
	for _, r := range s {
		_, gw := glyph(r)
		w += gw + 1
	}
	if w == 0 {
		return 0
	}
	return (w - 1) * scale
}

// textHeight is the height in pixels of a line drawn at magnification scale.
func textHeight(scale int) int { return glyphH * scale }

// drawText draws s with its top-left corner at (x, y), each font pixel a
// scale×scale square of colour c. Pixels outside img are skipped.
func drawText(img *image.NRGBA, x, y int, s string, scale int, c color.NRGBA) {
	b := img.Rect
	for py := max(y, b.Min.Y); py < min(y+textHeight(scale), b.Max.Y); py++ {
		row := img.Pix[img.PixOffset(b.Min.X, py):img.PixOffset(b.Max.X, py)]
		textRow(row, py-b.Min.Y, x-b.Min.X, y-b.Min.Y, s, scale, c)
	}
}

// textRow draws row py of text s whose top-left corner is at (x, y) into the
// NRGBA pixel row of a picture (see drawText); pixels outside the row are
// skipped.
func textRow(row []byte, py, x, y int, s string, scale int, c color.NRGBA) {
	if py < y || py >= y+textHeight(scale) {
		return
	}
	gy := (py - y) / scale
	for _, r := range s {
		g, gw := glyph(r)
		for gx := 0; gx < gw; gx++ {
			if g[gy][gx] == '#' {
				putPixels(row, x+gx*scale, x+(gx+1)*scale, c)
			}
		}
		x += (gw + 1) * scale
	}
}
