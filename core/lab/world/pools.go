package world

// The world's closed vocabulary: every string an answer, a prompt or a
// rubric of the lab world holds comes from these pools or from the
// templates in render.go and rubric.go. Within a pool every entry has
// the same number of words (items two, steps three, meeting points two,
// names and extras one), so the word count of an answer without tips
// depends on the task only, never on which entry a slot holds; length
// criteria rely on it. No entry is a word-bounded substring of another
// entry or template (TestPoolsDisjoint), so a check for one entry never
// matches another.

// activity is the trip's kind: its signature item and the three or four
// steps (indices into steps) its plan orders.
type activity struct {
	name  string
	item  string
	steps [4]int
}

var activities = []activity{
	{"hike", "trekking poles", [4]int{0, 1, 2, 3}},
	{"camp", "tent stakes", [4]int{1, 4, 5, 6}},
	{"ski", "ski goggles", [4]int{0, 4, 2, 7}},
	{"sail", "life jacket", [4]int{0, 5, 3, 6}},
	{"cycle", "bike helmet", [4]int{4, 1, 7, 3}},
	{"climb", "chalk bag", [4]int{5, 6, 0, 2}},
	{"kayak", "spray skirt", [4]int{3, 2, 6, 4}},
	{"fish", "tackle box", [4]int{7, 0, 5, 1}},
	{"skate", "knee pads", [4]int{6, 3, 1, 7}},
	{"cave", "spare lamp", [4]int{2, 7, 4, 5}},
}

// season sets the season's item and the litres of water per day.
type season struct {
	name  string
	item  string
	water int
}

var seasons = []season{
	{"spring", "rain jacket", 3},
	{"summer", "sun hat", 4},
	{"autumn", "fleece vest", 2},
	{"winter", "wool hat", 5},
}

// audience sets the meals per day and the tip that is unsafe for it.
type audience struct {
	name  string
	meals int
}

var audiences = []audience{
	{"children", 5},
	{"beginners", 3},
	{"experts", 2},
	{"seniors", 4},
	{"families", 6},
}

// tone sets the opening (a template over the audience) and whether a
// length criterion bounds the note from above (brief) or below.
type tone struct {
	name    string
	opening string // %s is the audience
	brief   bool
}

var tones = []tone{
	{"formal", "Dear %s,", false},
	{"friendly", "Hi %s!", false},
	{"brief", "To %s:", true},
}

// place sets the place's item (levels with the place feature).
type place struct {
	name string
	item string
}

var places = []place{
	{"lake", "water filter"},
	{"coast", "tide table"},
	{"forest", "bug spray"},
	{"mountain", "ice axe"},
	{"desert", "salt tablets"},
	{"river", "dry bag"},
	{"island", "ferry ticket"},
	{"valley", "valley guide"},
}

// steps are the plan's steps; each activity orders four of them (three
// at the lower levels).
var steps = []string{
	"check the forecast",
	"pack the bag",
	"tell a friend",
	"fill the bottles",
	"charge the phone",
	"study the route",
	"stretch your legs",
	"lock the car",
}

// extras are the fourth item of the gear list; a rubric may ban one.
var extras = []string{"compass", "whistle", "radio", "rope", "stove", "knife", "lantern", "lighter", "camera", "kettle"}

// meetings are the meeting points; a rubric may name one.
var meetings = []string{
	"old mill", "north gate", "red barn", "stone bridge", "east dock", "blue cabin",
	"ranger hut", "bus stop", "village hall", "fire tower", "west lot", "main square",
}

// names are the sign-off names; a rubric may name one.
var names = []string{"Mara", "Tomas", "Ines", "Oleg", "Priya", "Jonas", "Lena", "Ravi", "Sofia", "Emil", "Nadia", "Hugo"}

// tip is an advice sentence of four to six words. A tip with a term is
// unsafe for one audience or one season (the pitfall checks the term);
// the others are always safe.
type tip struct {
	text string
	term string // the phrase a pitfall check looks for; "" for a safe tip
}

// Tips 0–4 are unsafe for audiences[i], 5–8 for seasons[i-5], 9–12 are
// always safe.
var tips = []tip{
	{"Let the kids swim alone.", "swim alone"},
	{"Take the shortcut off the trail.", "off the trail"},
	{"Skip the safety briefing today.", "safety briefing"},
	{"Carry a heavy pack all day.", "heavy pack"},
	{"Split up at the first fork.", "split up"},
	{"Cross the stream on foot.", "on foot"},
	{"Walk out in the noon sun.", "noon sun"},
	{"Stay out well after dark.", "after dark"},
	{"Cotton socks are fine here.", "cotton socks"},
	{"Drink a little every hour.", ""},
	{"Rest when you feel tired.", ""},
	{"Keep the group close together.", ""},
	{"Take photos of the view.", ""},
}

// The tips' layout: audiences' unsafe tips, then seasons', then safe ones.
const (
	firstSeasonTip = 5 // len(audiences)
	firstSafeTip   = 9 // firstSeasonTip + len(seasons)
)

// audienceTip and seasonTip return the tip unsafe for audience u and for
// season s.
func audienceTip(u int) int { return u }
func seasonTip(s int) int   { return firstSeasonTip + s }
