package mail

// TextToHTMLForTest lets the external tests check the text-to-HTML rule.
var TextToHTMLForTest = textToHTML
