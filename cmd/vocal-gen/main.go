// Command vocal-gen writes a large synthetic JSONL input for measuring the
// throughput and memory of `vocal run`.
//
// Texts are assembled from built-in Chinese, English and mixed phrase
// templates (written for this tool, not taken from any dataset), so that no
// two records need be alike; created_at spreads over 90 days and the
// passthrough fields (channel, region, product, csat, nps) follow the text's
// polarity. The output is a function of -seed and -mb alone.
//
//	go run ./cmd/vocal-gen -mb 100 -seed 1 -o /tmp/in100.jsonl
//	vocal run --input /tmp/in100.jsonl --out /tmp/out100
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	mb := flag.Int("mb", 100, "approximate output size in MiB (the last record may pass it)")
	seed := flag.Uint64("seed", 1, "random seed; the same seed and size give the same file")
	out := flag.String("o", "-", `output path ("-" for stdout)`)
	flag.Parse()
	if *mb <= 0 {
		fmt.Fprintln(os.Stderr, "vocal-gen: -mb must be positive")
		os.Exit(2)
	}
	if err := run(*out, int64(*mb)<<20, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "vocal-gen:", err)
		os.Exit(1)
	}
}

func run(path string, size int64, seed uint64) error {
	var w io.Writer = os.Stdout
	var f *os.File
	if path != "-" {
		var err error
		if f, err = os.Create(path); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	start := time.Now()
	n, written, err := generate(w, size, seed)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	fmt.Fprintf(os.Stderr, "vocal-gen: %d records, %d bytes to %s in %s\n", n, written, path, time.Since(start).Round(time.Millisecond))
	return nil
}

// record is one output line; field order is the JSON key order.
type record struct {
	ID        string `json:"id"`
	Text      string `json:"text"`
	CreatedAt string `json:"created_at"`
	Channel   string `json:"channel"`
	Region    string `json:"region"`
	Product   string `json:"product"`
	CSAT      int    `json:"csat"`
	NPS       int    `json:"nps"`
}

// generate writes records until at least size bytes are out and returns the
// record and byte counts.
func generate(w io.Writer, size int64, seed uint64) (records int, written int64, err error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	base := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	const window = 90 * 24 * 3600
	cst := time.FixedZone("", 8*3600)
	for written < size {
		lang := g.pick3(0.55, 0.35) // zh, en, mixed
		text, pol := g.text(lang)
		at := base.Add(time.Duration(g.r.IntN(window)) * time.Second)
		rec := record{ID: "syn-" + strconv.Itoa(seed32(seed)) + "-" + strconv.Itoa(records), Text: text}
		if lang == 1 {
			rec.CreatedAt = at.Format(time.RFC3339)
			rec.Region = oneOf(g.r, enRegions)
		} else {
			rec.CreatedAt = at.In(cst).Format(time.RFC3339)
			rec.Region = oneOf(g.r, zhRegions)
		}
		rec.Channel = oneOf(g.r, channels)
		rec.Product = oneOf(g.r, productKeys)
		rec.CSAT, rec.NPS = g.scores(pol)
		b, err := json.Marshal(rec)
		if err != nil {
			return records, written, err
		}
		b = append(b, '\n')
		if _, err := bw.Write(b); err != nil {
			return records, written, err
		}
		written += int64(len(b))
		records++
	}
	return records, written, bw.Flush()
}

// seed32 keeps ids short while telling files of different seeds apart.
func seed32(seed uint64) int { return int(seed % 100000) }

type gen struct{ r *rand.Rand }

// pick3 returns 0, 1 or 2 with probabilities p0, p1 and the rest.
func (g *gen) pick3(p0, p1 float64) int {
	switch x := g.r.Float64(); {
	case x < p0:
		return 0
	case x < p0+p1:
		return 1
	}
	return 2
}

func oneOf(r *rand.Rand, xs []string) string { return xs[r.IntN(len(xs))] }

// scores draws csat (1-5) and nps (0-10) around the text's polarity.
func (g *gen) scores(pol int) (csat, nps int) {
	switch {
	case pol > 0:
		return 4 + g.r.IntN(2), 7 + g.r.IntN(4)
	case pol < 0:
		return 1 + g.r.IntN(2), g.r.IntN(6)
	}
	return 2 + g.r.IntN(3), 3 + g.r.IntN(6)
}

// text builds one review of one to four clauses and returns its polarity
// (positive, negative or 0 for mixed and neutral).
func (g *gen) text(lang int) (string, int) {
	var b strings.Builder
	n := 1 + g.r.IntN(3)
	if g.r.IntN(8) == 0 {
		n++
	}
	pol := 0
	// Most reviews lean one way; a third mix praise and complaint.
	lean := 1
	if g.r.IntN(2) == 0 {
		lean = -1
	}
	p := phrasesFor(lang)
	if g.r.IntN(6) == 0 {
		b.WriteString(g.fill(oneOf(g.r, p.openers), lang))
	}
	for i := range n {
		kind := lean
		switch x := g.r.IntN(10); {
		case x < 3:
			kind = -lean
		case x == 3:
			kind = 0
		}
		var pool []string
		switch kind {
		case 1:
			pool = p.pos
		case -1:
			pool = p.neg
		default:
			pool = p.neutral
		}
		if i > 0 {
			if kind != 0 && kind != lean && g.r.IntN(2) == 0 {
				b.WriteString(oneOf(g.r, p.contrast))
			} else {
				b.WriteString(oneOf(g.r, p.joiners))
			}
		}
		b.WriteString(g.fill(oneOf(g.r, pool), lang))
		pol += kind
	}
	switch g.r.IntN(5) {
	case 0:
		b.WriteString(oneOf(g.r, emoji(pol)))
	case 1:
		b.WriteString(oneOf(g.r, p.endings))
	}
	if g.r.IntN(40) == 0 {
		b.WriteString(oneOf(g.r, p.extras))
	}
	switch {
	case pol > 0:
		return b.String(), 1
	case pol < 0:
		return b.String(), -1
	}
	return b.String(), 0
}

// fill replaces the {slot}s of a template.
func (g *gen) fill(t string, lang int) string {
	if !strings.Contains(t, "{") {
		return t
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			b.WriteString(t)
			return b.String()
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			b.WriteString(t)
			return b.String()
		}
		b.WriteString(t[:i])
		b.WriteString(g.slot(t[i+1:i+j], lang))
		t = t[i+j+1:]
	}
}

func (g *gen) slot(name string, lang int) string {
	switch name {
	case "n":
		return strconv.Itoa(1 + g.r.IntN(15))
	case "cn":
		return oneOf(g.r, cnNumbers)
	case "money":
		return strconv.Itoa(5 * (1 + g.r.IntN(400)))
	case "order":
		return strconv.Itoa(100000 + g.r.IntN(900000))
	}
	if lang == 1 {
		if xs, ok := enSlots[name]; ok {
			return oneOf(g.r, xs)
		}
	}
	if xs, ok := zhSlots[name]; ok {
		return oneOf(g.r, xs)
	}
	if xs, ok := enSlots[name]; ok {
		return oneOf(g.r, xs)
	}
	return name
}

func emoji(pol int) []string {
	switch {
	case pol > 0:
		return posEmoji
	case pol < 0:
		return negEmoji
	}
	return neutralEmoji
}

type phrases struct {
	openers, pos, neg, neutral, contrast, joiners, endings, extras []string
}

func phrasesFor(lang int) *phrases {
	switch lang {
	case 0:
		return &zhPhrases
	case 1:
		return &enPhrases
	}
	return &mixedPhrases
}

var (
	channels    = []string{"app_review", "support_ticket", "survey", "email", "social", "chat"}
	zhRegions   = []string{"华东", "华南", "华北", "华中", "西南", "西北", "东北"}
	enRegions   = []string{"US", "UK", "EU", "CA", "AU", "APAC"}
	productKeys = []string{"phone", "headphones", "sneakers", "jacket", "skincare", "food_delivery", "grocery",
		"broadband", "mobile_plan", "banking_app", "credit_card", "home_appliance", "ride_hailing", "hotel", "streaming"}
	cnNumbers    = []string{"两", "三", "四", "五", "六", "七", "八", "十", "半", "几"}
	posEmoji     = []string{"👍", "😊", "🎉", "✨", "💯", "❤️", "😍", "👍👍", "🥰", "🙏", "⭐⭐⭐⭐⭐"}
	negEmoji     = []string{"😤", "🙄", "😭", "😡", "👎", "💩", "😞", "🤦‍♀️", "😓", "⭐"}
	neutralEmoji = []string{"🤔", "😐", "😅", "🙂", "⭐⭐⭐"}
)

var zhSlots = map[string][]string{
	"thing": {"手机", "耳机", "充电宝", "羽绒服", "运动鞋", "面膜", "洗面奶", "扫地机器人", "空调", "电饭煲", "奶茶", "外卖",
		"行李箱", "键盘", "显示器", "猫粮", "保温杯", "床垫", "台灯", "路由器", "电动牙刷", "吹风机", "大米", "咖啡豆"},
	"subj": {"物流", "快递", "客服", "质量", "做工", "包装", "味道", "屏幕", "电池", "售后", "骑手", "安装师傅", "面料",
		"音质", "续航", "信号", "网速", "服务", "前台", "环境", "价格", "尺码", "颜色", "手感"},
	"adv":    {"很", "非常", "特别", "超级", "挺", "真的", "太", "相当", "巨", "蛮"},
	"posadj": {"好", "快", "给力", "不错", "满意", "耐心", "靠谱", "新鲜", "清晰", "耐用", "舒服", "划算", "专业", "热情", "稳定"},
	"negadj": {"差", "慢", "糟糕", "敷衍", "让人失望", "难用", "不新鲜", "卡", "烫", "垃圾", "离谱", "坑", "粗糙", "不稳定"},
	"person": {"客服", "骑手", "快递员", "师傅", "店家", "前台", "司机", "导购", "柜员"},
	"app":    {"APP", "小程序", "客户端", "系统", "网页版"},
	"shop":   {"这家店", "商家", "旗舰店", "这个牌子", "平台", "这家酒店", "这家餐厅"},
}

var enSlots = map[string][]string{
	"thing": {"phone", "headphones", "charger", "jacket", "sneakers", "vacuum", "blender", "laptop", "mattress", "router",
		"face serum", "coffee maker", "backpack", "smart watch", "desk lamp", "air fryer", "keyboard", "suitcase"},
	"subj": {"delivery", "shipping", "customer service", "quality", "packaging", "the battery", "the screen", "support",
		"the driver", "the staff", "checkout", "the app", "sound quality", "the fit", "the price", "the food", "wifi"},
	"adv":    {"very", "really", "super", "pretty", "incredibly", "so", "extremely", "quite", "surprisingly"},
	"posadj": {"good", "fast", "great", "helpful", "reliable", "comfortable", "solid", "smooth", "friendly", "clean", "quick"},
	"negadj": {"bad", "slow", "terrible", "useless", "disappointing", "flimsy", "rude", "buggy", "awful", "unreliable", "cheap"},
	"person": {"the agent", "the driver", "the courier", "support", "the manager", "the technician", "the seller", "the host"},
	"app":    {"app", "website", "checkout page", "account page", "mobile site"},
	"shop":   {"this store", "the seller", "this brand", "the restaurant", "the hotel", "this company"},
	"model":  {"iPhone 15 Pro", "AirPods Pro", "Galaxy S24", "Pixel 8", "MacBook Air", "Switch OLED", "Kindle", "iPad", "Apple Watch", "Mate 60"},
}

var zhPhrases = phrases{
	openers: []string{"说实话，", "家人们，", "追评：", "第一次写评价，", "【差评】", "【好评】", "用了一个月来说说，", "emmm ", "@客服 "},
	pos: []string{
		"{subj}{adv}{posadj}", "{subj}{adv}{posadj}！", "{thing}收到了，跟描述一致", "{thing}质量{adv}{posadj}，会回购",
		"第{n}次回购了", "{person}态度{adv}好，耐心解答了我的问题", "下单第二天就到了", "包装{adv}用心，没有任何磕碰",
		"性价比{adv}高", "{thing}用了{n}个月还是{adv}好用", "yyds", "绝绝子", "真香", "闭眼入不亏", "{shop}{adv}靠谱",
		"{person}大热天送上{n}楼，辛苦了", "颜值在线", "好好好好好", "比实体店便宜{money}块", "退款{adv}快，当天就到账了",
		"{app}更新之后流畅多了", "强烈推荐", "物超所值", "五星好评", "孩子{adv}喜欢", "味道{adv}正宗", "没有色差没有异味",
		"這個價錢很划算", "客服態度很好", "ＡＰＰ{adv}好用", "#好物推荐#",
	},
	neg: []string{
		"{subj}{adv}{negadj}", "{subj}{adv}{negadj}！！", "等了{n}天才到", "{thing}用了{n}天就坏了", "退款{n}天了还没到账",
		"{person}态度{adv}差，爱答不理", "{app}老是闪退", "{app}一直卡顿，登录都登不上", "包装破了，里面的东西都压坏了",
		"发错货了", "少发了一件", "色差{adv}大", "尺码偏小{cn}个码", "客服说{n}小时内处理，到现在也没消息",
		"被多扣了{money}元", "价格说涨就涨，{adv}离谱", "再也不买了", "智商税", "踩雷了", "避雷！！", "无语子",
		"{thing}充电的时候发烫严重，有点担心安全", "打了{n}次电话都是机器人", "外卖洒了一半", "菜都凉了",
		"刚买就降价{money}，申请价保被拒", "{shop}{adv}坑", "质量{adv}差，洗一次就起球", "这個價錢太貴了",
		"信号{adv}差，地下室完全没网", "宽带三天两头断网", "#避雷#", "太太太太太难用了",
	},
	neutral: []string{
		"还行吧", "一般般", "中规中矩", "先用几天再来追评", "订单号{order}", "请问有没有{thing}的大码",
		"{thing}昨天到的", "买来送人的", "没什么特别的", "跟上次买的差不多", "价格{money}元", "朋友推荐的",
	},
	contrast: []string{"，但是", "，不过", "，可是", "，就是", "，然而", "。但", "，只是"},
	joiners:  []string{"，", "，", "，", "。", "！", "～", " ", "，而且", "，还有"},
	endings:  []string{"！", "！！！", "。", "～", "…", "？？", "哈哈哈"},
	extras:   []string{" <br>", " 详情见 https://example.com/item?id=123", " @官方客服", "&nbsp;", "　"},
}

var enPhrases = phrases{
	openers: []string{"Honestly, ", "ngl ", "Update: ", "tbh ", "So ", "First review ever: ", "@support ", "Ok so "},
	pos: []string{
		"{subj} was {adv} {posadj}", "{subj} is {adv} {posadj}!", "the {thing} works perfectly", "arrived {n} days early",
		"would buy again", "{person} was {adv} helpful", "best {thing} I've owned", "great value for the price",
		"still going strong after {n} months", "five stars", "love it", "sooooo good", "exceeded my expectations",
		"{shop} never disappoints", "refund came through in {n} days", "the {app} is so much smoother now",
		"the {model} is {adv} {posadj}", "10/10 would recommend", "packaging was spotless", "#happycustomer",
	},
	neg: []string{
		"{subj} was {adv} {negadj}", "{subj} is {adv} {negadj}!!", "took {n} days to arrive", "the {thing} broke after {n} weeks",
		"refund still pending after {n} days", "{person} was {adv} rude", "the {app} keeps crashing", "got charged twice",
		"wrong item shipped", "box was crushed", "never again", "waste of money", "do NOT buy this",
		"my {model} overheats when charging, battery drains fast", "on hold for {n}0 minutes", "food arrived cold",
		"charged ${money} with no explanation", "{shop} ignored my emails", "worst. purchase. ever.", "smh",
		"the {thing} smells like burning plastic", "cancelled my order without telling me", "#fail",
	},
	neutral: []string{
		"it's fine i guess", "does what it says", "order #{order}", "will update after a few weeks",
		"bought it as a gift", "arrived on {n}/{n}", "nothing special", "is there a bigger size?", "paid ${money}",
	},
	contrast: []string{", but ", ". But ", ", though ", ". However, ", " but ", ", although "},
	joiners:  []string{", ", ". ", "! ", " and ", ", also ", " - ", "... "},
	endings:  []string{"!", "!!!", ".", "...", "??", " lol", " :("},
	extras:   []string{" https://example.com/review/42", " <b>", " @brand", " &amp;"},
}

var mixedPhrases = phrases{
	openers: []string{"说实话，", "ngl ", "追评：", "Update: "},
	pos: []string{
		"{model}{adv}好用", "这个{model}的battery life{adv}给力", "物流{adv}快，two days就到了", "客服很nice",
		"{model}拍照{adv}清晰", "性价比{adv}高，good value", "{app}很smooth", "真的love it", "quality{adv}好",
		"{model}用了{n}个月还很流畅", "delivery超快", "五星好评 would buy again",
	},
	neg: []string{
		"{model}发热严重 battery drains fast", "{app}一直crash，体验{adv}差", "客服说会refund但是一直没到账",
		"包装{adv}简陋 box was crushed", "{model}信号{adv}差", "等了{n}天才deliver", "quality{adv}差，too bad",
		"被charge了两次", "customer service{adv}敷衍", "{model}充电口松了", "完全是waste of money",
	},
	neutral:  []string{"{model}昨天到的", "订单号{order}", "还OK吧", "so so吧", "买来送朋友的"},
	contrast: []string{"，但是", " but ", "，不过", ", but "},
	joiners:  []string{"，", ", ", "。", "！", " "},
	endings:  []string{"！", "!!", "。", " lol", "哈哈"},
	extras:   []string{" #数码#", " @客服", " https://example.com/p/1"},
}
