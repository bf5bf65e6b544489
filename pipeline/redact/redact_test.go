package redact

import (
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
		spans          []Span
	}{
		{name: "mobile", in: "电话13812345678，谢谢", want: "电话[PHONE]，谢谢",
			spans: []Span{{Phone, 2, 13, 2, 9}}},
		{name: "mobile groups and +86", in: "call +86 138-1234-5678 or 186 1234 5678", want: "call [PHONE] or [PHONE]",
			spans: []Span{{Phone, 5, 22, 5, 12}, {Phone, 26, 39, 16, 23}}},
		{name: "0086 and 86", in: "008613812345678/8613912345678", want: "[PHONE]/[PHONE]"},
		{name: "full-width digits", in: "手机１３８１２３４５６７８", want: "手机[PHONE]", spans: []Span{{Phone, 2, 13, 2, 9}}},
		{name: "digit before", in: "订单号213812345678", want: "订单号213812345678"},
		{name: "digit after", in: "138123456789", want: "138123456789"},
		{name: "not a mobile prefix", in: "12812345678", want: "12812345678"},
		{name: "id card", in: "身份证11010519491231002X", want: "身份证[ID_CARD]", spans: []Span{{IDCard, 3, 21, 3, 12}}},
		{name: "id card lower x", in: "id 44030419900307123x.", want: "id [ID_CARD]."},
		{name: "id card all digits", in: "320106198506153018", want: "[ID_CARD]"},
		{name: "id card bad checksum", in: "110105194912310021", want: "110105194912310021"},
		{name: "id card bad date", in: "11010519491331002X", want: "11010519491331002X"},
		{name: "bank card", in: "卡号6222021234567890128退款", want: "卡号[BANK_CARD]退款", spans: []Span{{BankCard, 2, 21, 2, 13}}},
		{name: "bank card groups", in: "card 4111 1111 1111 1111 please", want: "card [BANK_CARD] please"},
		{name: "bank card hyphens", in: "4111-1111-1111-1111", want: "[BANK_CARD]"},
		{name: "bank card bad luhn", in: "卡号6222021234567890123", want: "卡号6222021234567890123"},
		{name: "email", in: "联系我 zhang.san+vip@example.com.cn 谢谢", want: "联系我 [EMAIL] 谢谢", spans: []Span{{Email, 4, 32, 4, 11}}},
		{name: "full-width at", in: "邮箱ａｂｃ＠ｑｑ．ｃｏｍ", want: "邮箱[EMAIL]"},
		{name: "zh address", in: "寄到北京市朝阳区建国路88号3栋2单元501室，快递说找不到", want: "寄到北京市朝阳区[ADDRESS]，快递说找不到",
			spans: []Span{{Address, 8, 23, 8, 17}}},
		{name: "zh address direction", in: "我住在上海市中山北路100号", want: "我住在上海市[ADDRESS]"},
		{name: "zh address long road name", in: "石景山路5号", want: "石[ADDRESS]"},
		{name: "zh address stop words", in: "送到世纪大道1000号", want: "送到[ADDRESS]"},
		{name: "zh compound", in: "地址：阳光小区3栋2单元501", want: "地址：[ADDRESS]"},
		{name: "en address", in: "ship to 221 Baker Street, London", want: "ship to [ADDRESS], London"},
		{name: "en address apt", in: "1600 Pennsylvania Ave, Apt 5 is wrong", want: "[ADDRESS] is wrong"},
		{name: "several kinds", in: "张三 13812345678 zs@qq.com 身份证11010519491231002X",
			want: "张三 [PHONE] [EMAIL] 身份证[ID_CARD]"},
		{name: "plain numbers stay", in: "等了15天，退款200元，订单20261101123", want: "等了15天，退款200元，订单20261101123"},
		{name: "no digits", in: "物流很快，但是客服态度太差了", want: "物流很快，但是客服态度太差了"},
		{name: "placeholders stay", in: "[PHONE] [EMAIL]", want: "[PHONE] [EMAIL]"},
		{name: "empty", in: "", want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := Redact(tc.in)
			if res.Text != tc.want {
				t.Fatalf("Redact(%q) = %q, want %q", tc.in, res.Text, tc.want)
			}
			if tc.spans != nil && !reflect.DeepEqual(res.Spans, tc.spans) {
				t.Errorf("spans %+v, want %+v", res.Spans, tc.spans)
			}
			checkSpans(t, tc.in, res)
			if again := String(res.Text); again != res.Text {
				t.Errorf("not idempotent: %q -> %q", res.Text, again)
			}
		})
	}
}

// checkSpans checks that each span's placeholder sits at its output offsets
// and that the text between spans is unchanged.
func checkSpans(t *testing.T, in string, res Result) {
	t.Helper()
	orig, out := []rune(in), []rune(res.Text)
	pos, opos := 0, 0
	for _, s := range res.Spans {
		if s.Start < pos || s.End <= s.Start || s.End > len(orig) || s.OutEnd > len(out) {
			t.Fatalf("span %+v out of order or range (text %d runes, output %d)", s, len(orig), len(out))
		}
		if string(out[s.OutStart:s.OutEnd]) != s.Kind.Placeholder() {
			t.Fatalf("span %+v: output has %q", s, string(out[s.OutStart:s.OutEnd]))
		}
		if string(orig[pos:s.Start]) != string(out[opos:s.OutStart]) {
			t.Fatalf("text before span %+v changed", s)
		}
		pos, opos = s.End, s.OutEnd
	}
	if utf8.ValidString(in) && string(orig[pos:]) != string(out[opos:]) {
		t.Fatalf("text after the last span changed")
	}
}

func TestOriginal(t *testing.T) {
	in := "电话13812345678，邮箱a@b.com，谢谢"
	res := Redact(in)
	if res.Text != "电话[PHONE]，邮箱[EMAIL]，谢谢" {
		t.Fatalf("got %q", res.Text)
	}
	orig := []rune(in)
	for _, tc := range []struct {
		s, e, ws, we int
		text         string
	}{
		{0, 2, 0, 2, "电话"},
		{0, 9, 0, 13, "电话13812345678"},
		{2, 9, 2, 13, "13812345678"},
		{4, 6, 2, 13, "13812345678"}, // inside the placeholder: the whole number
		{9, 12, 13, 16, "，邮箱"},
		{12, 19, 16, 23, "a@b.com"},
		{19, 22, 23, 26, "，谢谢"},
		{0, 22, 0, 26, in},
	} {
		s, e := res.Original(tc.s, tc.e)
		if s != tc.ws || e != tc.we || string(orig[s:e]) != tc.text {
			t.Errorf("Original(%d, %d) = %d, %d (%q), want %d, %d (%q)", tc.s, tc.e, s, e, string(orig[s:e]), tc.ws, tc.we, tc.text)
		}
	}
	plain := Redact("no data here")
	if s, e := plain.Original(3, 7); s != 3 || e != 7 {
		t.Errorf("identity mapping: %d, %d", s, e)
	}
}

func TestLuhn(t *testing.T) {
	digits := func(s string) []int {
		var d []int
		for _, r := range s {
			d = append(d, int(r-'0'))
		}
		return d
	}
	for s, want := range map[string]bool{"4111111111111111": true, "6222021234567890128": true, "79927398713": true,
		"79927398710": false, "6222021234567890123": false, "": false} {
		if got := Luhn(digits(s)); got != want {
			t.Errorf("Luhn(%s) = %v, want %v", s, got, want)
		}
	}
}

func FuzzRedact(f *testing.F) {
	for _, s := range []string{"电话13812345678", "身份证11010519491231002X", "卡号6222021234567890128", "a@b.com",
		"寄到北京市朝阳区建国路88号3栋2单元501室", "221 Baker Street", "１３８１２３４５６７８", "\xff13812345678", "[PHONE]", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		res := Redact(in)
		if utf8.ValidString(in) && !utf8.ValidString(res.Text) {
			t.Fatalf("invalid UTF-8 output for valid input %q", in)
		}
		if !utf8.ValidString(in) && len(res.Spans) > 0 && !utf8.ValidString(res.Text) {
			t.Fatalf("invalid UTF-8 output %q", res.Text)
		}
		checkSpans(t, in, res)
		n, out := utf8.RuneCountInString(in), utf8.RuneCountInString(res.Text)
		step := max(1, out/64)
		for s := 0; s <= out; s += step {
			a, b := res.Original(s, out)
			if a < 0 || b > n || a > b {
				t.Fatalf("Original(%d, %d) = %d, %d outside [0, %d]", s, out, a, b, n)
			}
		}
		if utf8.ValidString(in) && len(res.Spans) == 0 && res.Text != in {
			t.Fatalf("text without data changed: %q -> %q", in, res.Text)
		}
		if strings.Contains(in, "[") {
			return // a placeholder-like input may merge with a neighbour
		}
		if again := String(res.Text); again != res.Text {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, res.Text, again)
		}
	})
}

var benchText = strings.Repeat("物流很快，但是客服态度太差了，打了五次电话没人接。", 4)

func BenchmarkRedact(b *testing.B) {
	for _, tc := range []struct{ name, text string }{
		{"no-digits", benchText},
		{"digits-no-data", benchText + "等了15天，退款200元"},
		{"phone-and-address", benchText + "电话13812345678，寄到北京市朝阳区建国路88号3栋2单元501室"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.text)))
			for b.Loop() {
				Redact(tc.text)
			}
		})
	}
}
