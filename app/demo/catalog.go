package demo

type file struct {
	name        string
	contentType string
	body        []byte
}

type product struct {
	title, summary, description string
	price                       int64
	hue                         int
	tags                        []string
	licensed                    bool
	files                       func() []file
}

func catalog() []product {
	return []product{
		{
			title:   "Field Notes Icon Pack",
			summary: "120 hand-tuned line icons in SVG, ready for apps and slides.",
			description: "A set of crisp line icons drawn on a 24-pixel grid with a consistent 1.5-pixel stroke.\n\n" +
				"Every icon ships as an optimised SVG that you can recolour with CSS. The pack covers navigation, files, commerce, weather and people.\n\n" +
				"Use them in unlimited personal and commercial projects.",
			price: 1900, hue: 250, tags: []string{"icons", "design"}, licensed: true,
			files: func() []file {
				return []file{{"field-notes-icons.zip", "application/zip", iconZip()}, {"LICENSE.txt", "text/plain; charset=utf-8", []byte(licenseText)}}
			},
		},
		{
			title:   "The Calm Inbox",
			summary: "A short guide to email that does not eat your day.",
			description: "Thirty pages of practical habits for handling email in two short sessions a day.\n\n" +
				"Includes templates for polite no's, a weekly review checklist and the filters the author uses.",
			price: 1200, hue: 160, tags: []string{"ebook", "productivity"},
			files: func() []file {
				return []file{{"the-calm-inbox.pdf", "application/pdf", guidePDF("The Calm Inbox", calmInboxLines)}, {"the-calm-inbox.md", "text/markdown; charset=utf-8", []byte(calmInboxMarkdown)}}
			},
		},
		{
			title:   "Sunrise Wallpapers",
			summary: "Six soft gradient wallpapers for desktop and phone.",
			description: "Gentle gradients inspired by early mornings on the coast.\n\n" +
				"Each wallpaper comes in a desktop and a phone size, as lossless PNG.",
			price: 500, hue: 20, tags: []string{"wallpapers", "design"},
			files: func() []file { return wallpapers() },
		},
		{
			title:   "Café Budget Planner",
			summary: "A monthly budget spreadsheet that works in any spreadsheet app.",
			description: "Plan income, fixed costs and savings goals in one sheet.\n\n" +
				"Open the CSV in Numbers, Excel, LibreOffice or Google Sheets. Categories are easy to rename.",
			price: 700, hue: 40, tags: []string{"spreadsheet", "finance"},
			files: func() []file {
				return []file{{"cafe-budget-planner.csv", "text/csv; charset=utf-8", []byte(budgetCSV)}}
			},
		},
		{
			title:   "Lo-fi Sample Kit",
			summary: "Warm one-shot tones and chords for beat makers.",
			description: "Royalty-free WAV samples recorded at 8 kHz for that dusty lo-fi character.\n\n" +
				"Drop them into any DAW. Tempo and key are in each file name.",
			price: 1500, hue: 300, tags: []string{"audio", "music"}, licensed: true,
			files: func() []file { return samples() },
		},
		{
			title:   "Night Owl Editor Theme",
			summary: "A dark theme with calm contrast for late coding sessions.",
			description: "A colour theme tuned for long sessions: soft contrast, clear syntax hues and a readable diff palette.\n\n" +
				"Ships as a portable JSON palette and a terminal colour scheme.",
			price: 900, hue: 210, tags: []string{"developer", "theme"},
			files: func() []file {
				return []file{{"night-owl-theme.json", "application/json", []byte(themeJSON)}, {"night-owl.Xresources", "text/plain; charset=utf-8", []byte(xresources)}}
			},
		},
		{
			title:   "Type Specimen Poster",
			summary: "A printable poster of classic type anatomy, in vector.",
			description: "Learn the names of every part of a letter: ascender, bowl, counter, terminal and more.\n\n" +
				"Vector SVG that prints sharply at any size, from A4 to A1.",
			price: 800, hue: 340, tags: []string{"print", "typography"},
			files: func() []file { return []file{{"type-specimen-poster.svg", "image/svg+xml", posterSVG()}} },
		},
	}
}
