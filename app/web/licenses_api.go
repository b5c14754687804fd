package web

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/gofiber/fiber/v2"

	"vendo/app"
)

// The license API: software validates, activates and deactivates its
// key with JSON (or a urlencoded form) and gets JSON back, the same shape
// for every outcome of an endpoint and never a word about whom the key
// belongs to (README, "License API"). A request is limited per address
// before it is read and per key once it is (routes.go).

var licenseKeyRE = regexp.MustCompile(`^VENDO(-[23456789A-HJ-NP-Z]{4}){4}$`)

// licenseRequest is a license API request, read once by readLicenseRequest.
type licenseRequest struct {
	Key          string `json:"key"`
	InstanceName string `json:"instance_name"`
	InstanceID   string `json:"instance_id"`
	Product      string `json:"product"`
}

const licenseRequestKey = "licenseRequest"

// licenseAnswerFlag is the endpoint's yes/no field: valid, activated or
// deactivated.
func licenseAnswerFlag(c *fiber.Ctx) string {
	switch {
	case strings.HasSuffix(c.Path(), "/activate"):
		return "activated"
	case strings.HasSuffix(c.Path(), "/deactivate"):
		return "deactivated"
	}
	return "valid"
}

// licenseRefusal answers a request refused before any key was looked at
// (malformed, rate limited) in the endpoint's shape, with license null.
func licenseRefusal(c *fiber.Ctx, status int, msg string) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	out := fiber.Map{licenseAnswerFlag(c): false, "error": msg, "license": nil}
	if out["deactivated"] == nil {
		out["instance"] = nil
	}
	return c.Status(status).JSON(out)
}

// readLicenseRequest reads and checks the request's fields, answering 400
// for one that cannot be a license request, and keeps it for the key
// limit and the handler.
func (s *Server) readLicenseRequest(c *fiber.Ctx) error {
	var req licenseRequest
	if len(c.Body()) > 4096 {
		return licenseRefusal(c, fiber.StatusBadRequest, "The request is too large.")
	}
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		if err := json.Unmarshal(c.Body(), &req); err != nil {
			return licenseRefusal(c, fiber.StatusBadRequest, `Send JSON like {"key": "VENDO-XXXX-XXXX-XXXX-XXXX"}.`)
		}
	} else {
		req = licenseRequest{Key: c.FormValue("key"), InstanceName: c.FormValue("instance_name"),
			InstanceID: c.FormValue("instance_id"), Product: c.FormValue("product")}
	}
	req.Key = strings.ToUpper(strings.TrimSpace(req.Key))
	req.InstanceID = strings.TrimSpace(req.InstanceID)
	switch flag := licenseAnswerFlag(c); {
	case !licenseKeyRE.MatchString(req.Key):
		return licenseRefusal(c, fiber.StatusBadRequest, "That is not a license key: keys look like VENDO-XXXX-XXXX-XXXX-XXXX.")
	case req.Product != "" && (len(req.Product) > 80 || app.Slugify(req.Product) != req.Product):
		return licenseRefusal(c, fiber.StatusBadRequest, "product must be a product's address, like field-notes-icon-pack.")
	case req.InstanceID != "" && (len(req.InstanceID) > 64 || !strings.HasPrefix(req.InstanceID, "ins_")):
		return licenseRefusal(c, fiber.StatusBadRequest, "instance_id must be the id an activation answered, like ins_01hx….")
	case flag == "deactivated" && req.InstanceID == "":
		return licenseRefusal(c, fiber.StatusBadRequest, "Say which activation to end: send the instance_id the activation answered.")
	case flag == "activated" && app.CleanInstanceName(req.InstanceName) == "":
		return licenseRefusal(c, fiber.StatusBadRequest, "Name the instance being activated (instance_name), like the computer's or the site's name.")
	}
	c.Locals(licenseRequestKey, &req)
	return c.Next()
}

func licenseReq(c *fiber.Ctx) *licenseRequest {
	r, _ := c.Locals(licenseRequestKey).(*licenseRequest)
	if r == nil {
		r = &licenseRequest{}
	}
	return r
}

// handleLicenseValidate answers POST /api/licenses/validate
// {key, instance_id?, product?} with {valid, error?, license, instance},
// plus the first version's status, plan, product and expires_at.
func (s *Server) handleLicenseValidate(c *fiber.Ctx) error {
	req := licenseReq(c)
	st, err := s.shop.ValidateActivation(c.UserContext(), req.Key, req.InstanceID, req.Product)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(st)
}

// handleLicenseActivate answers POST /api/licenses/activate
// {key, instance_name} with {activated, error?, instance, license}.
func (s *Server) handleLicenseActivate(c *fiber.Ctx) error {
	req := licenseReq(c)
	out, err := s.shop.ActivateLicense(c.UserContext(), req.Key, req.InstanceName, c.IP())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}

// handleLicenseDeactivate answers POST /api/licenses/deactivate
// {key, instance_id} with {deactivated, error?, license}.
func (s *Server) handleLicenseDeactivate(c *fiber.Ctx) error {
	req := licenseReq(c)
	out, err := s.shop.DeactivateLicense(c.UserContext(), req.Key, req.InstanceID, c.IP())
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(out)
}
