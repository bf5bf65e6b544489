// Package redact replaces personal data in feedback text by typed
// placeholders before the text leaves the process (an LLM endpoint) or, with
// vocal's --redact, before it is tagged and written anywhere.
//
// It finds, in this order of precedence (an earlier kind wins an overlap):
//
//   - EMAIL: ASCII addresses (name@host.tld);
//   - ID_CARD: 18-character mainland resident ID numbers whose birth date is
//     plausible and whose ISO 7064 MOD 11-2 check character is right;
//   - BANK_CARD: 16-19 digits, plain or in groups of four, that pass the Luhn
//     check;
//   - PHONE: mainland mobile numbers 1[3-9]xxxxxxxxx, plain or as 3-4-4
//     groups, with an optional +86 / 0086 / 86 prefix;
//   - ADDRESS: where detectable: a Chinese road or street with a house number
//     (建国路88号, 中山北路100号3栋2单元501室), a residential compound with a
//     building number (阳光小区3栋2单元501), an English street address
//     (221 Baker Street).
//
// Numbers must stand alone: a digit right before or after a candidate rejects
// it, so order numbers and long digit runs are left alone. Full-width digits
// and letters count as their ASCII forms. Addresses are heuristics: a city or
// district name is kept (it identifies no one), and a road name of more than
// two characters, not counting a direction word, is cut short (中山北路 goes
// whole, 石景山路5号 keeps 石). Old 15-digit ID numbers, landlines and names are not detected.
//
// Redaction is pure and safe for concurrent use. Offsets are in runes:
//
//	res := redact.Redact("电话13812345678，邮箱a@b.com")
//	res.Text                  // "电话[PHONE]，邮箱[EMAIL]"
//	res.Spans[0]              // {Kind: PHONE, Start: 2, End: 13, OutStart: 2, OutEnd: 9}
//	res.Original(2, 9)        // 2, 13: the placeholder's span in the original
package redact
