package demo

const licenseText = `Field Notes Icon Pack — license

You may use these icons in unlimited personal and commercial projects,
including products for sale. You may not resell or redistribute the icons
themselves as an icon set.
`

var calmInboxLines = []string{
	"1. Open email twice a day, at set times.",
	"2. Touch each message once: reply, file, or schedule.",
	"3. Keep replies to five sentences.",
	"4. Unsubscribe from one list every day for a month.",
	"5. Turn off every notification that is not from a person.",
	"6. End the week with an empty inbox and a short review.",
}

const calmInboxMarkdown = `# The Calm Inbox

## Two sessions a day

Pick two times, one in the late morning and one in the afternoon. Outside
them, email is closed.

## Touch it once

Reply, file or schedule. Never read a message twice before acting.

## Templates

> Thank you for thinking of me. I can't take this on right now, but I hope it goes well.
`

const budgetCSV = `Category,Planned,Actual,Difference
Income: salary,3200.00,3200.00,0.00
Income: side projects,400.00,0.00,-400.00
Rent,1200.00,1200.00,0.00
Utilities,150.00,0.00,-150.00
Groceries,420.00,0.00,-420.00
Café and eating out,120.00,0.00,-120.00
Transport,90.00,0.00,-90.00
Savings,500.00,0.00,-500.00
`

const themeJSON = `{
  "name": "Night Owl",
  "type": "dark",
  "colors": {
    "background": "#0f1420",
    "foreground": "#d6deeb",
    "selection": "#1d3b53",
    "comment": "#637777",
    "keyword": "#c792ea",
    "string": "#ecc48d",
    "number": "#f78c6c",
    "function": "#82aaff",
    "added": "#9ccc65",
    "removed": "#ef5350"
  }
}
`

const xresources = `! Night Owl terminal colours
*.background: #0f1420
*.foreground: #d6deeb
*.color0: #011627
*.color1: #ef5350
*.color2: #22da6e
*.color3: #c5e478
*.color4: #82aaff
*.color5: #c792ea
*.color6: #21c7a8
*.color7: #ffffff
`
