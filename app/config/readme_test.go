package config_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	"vendo/app/config"
)

// readmeRow is one row of the README's Settings table.
type readmeRow struct {
	envs      []string
	flag, def string
}

// readmeSettings reads the table under "## Settings" in the README.
func readmeSettings(t *testing.T) (rows []readmeRow, readme string) {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme = string(b)
	_, section, ok := strings.Cut(readme, "\n## Settings\n")
	if !ok {
		t.Fatal(`the README has no "## Settings" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|") // "", variables, flag, default, meaning, ""
		if !strings.HasPrefix(line, "| `") || len(cells) < 5 {
			continue // prose, the header or its rule
		}
		cells = cells[1:]
		var r readmeRow
		for _, name := range strings.Split(strings.TrimSpace(cells[0]), ", ") {
			name, _, _ = strings.Cut(strings.Trim(name, "`"), "=") // `VENDO_DEV=1`
			r.envs = append(r.envs, name)
		}
		r.flag = strings.Trim(strings.TrimSpace(cells[1]), "`")
		r.def = strings.ReplaceAll(strings.TrimSpace(cells[2]), "`", "")
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		t.Fatal("found no rows in the README's Settings table")
	}
	return rows, readme
}

// The README's Settings table is the config table written out: the same
// variables in the same order, each with its flag and default.
func TestTheReadmeListsEverySettingOfTheTableAndNoOther(t *testing.T) {
	rows, readme := readmeSettings(t)
	table := map[string]config.Setting{}
	var want, got []string
	for _, s := range config.Settings() {
		table[s.Env] = s
		if s.Hidden {
			if !strings.Contains(readme, "`"+s.Env+"=") {
				t.Errorf("the README does not describe the test setting %s for contributors", s.Env)
			}
			continue
		}
		want = append(want, s.Env)
	}
	for _, r := range rows {
		for _, env := range r.envs {
			got = append(got, env)
			s, ok := table[env]
			if !ok {
				t.Errorf("the README lists %s, which is not in config's table", env)
				continue
			}
			if wantFlag := "-" + s.Flag; (s.Flag == "" && r.flag != "") || (s.Flag != "" && r.flag != wantFlag) {
				t.Errorf("the README gives %s the flag %q, the table %q", env, r.flag, s.Flag)
			}
			if r.def != s.DefaultDoc() {
				t.Errorf("the README gives %s the default %q, the table %q", env, r.def, s.DefaultDoc())
			}
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("the README's settings, in order:\n  %q\nconfig's table:\n  %q", got, want)
	}
}
