# The stm32boot --json schema, version 1 (docs/json.md), as a jq predicate:
# `jq -e -f json_schema.jq DOC` is true only for a document that follows it.
def str: type == "string";
def str_or_null: . == null or type == "string";
def hex(n): str and test("^[0-9A-Fa-f]{" + (n | tostring) + "}$");
def only_keys(allowed): (keys - allowed) == [];
def has_keys(required): (required - keys) == [];

def chip_ok:
  . == null or (type == "object"
    and has_keys(["name", "description", "pid", "uid"]) and only_keys(["name", "description", "pid", "uid"])
    and (.name | str_or_null) and (.description | str_or_null)
    and (.pid | . == null or (str and test("^0x[0-9A-F]{3,4}$")))
    and (.uid | . == null or hex(24)));

def plan_ok:
  . == null or (type == "object"
    and (.action | str) and (.dry_run | type == "boolean")
    and only_keys(["action", "dry_run", "erase", "erase_units", "write_bytes", "blank_bytes",
                   "verify", "diff", "preserve", "blank_check", "address", "length"])
    and ((.erase // "none") | IN("none", "units", "mass"))
    and ((.verify // null) | . == null or IN("crc", "read"))
    and all(.diff, .preserve, .blank_check; . == null or type == "boolean")
    and all(.erase_units, .write_bytes, .blank_bytes, .address, .length;
            . == null or (type == "number" and . >= 0)));

def board_ok:
  type == "object"
  and has_keys(["port", "chip", "status", "error", "plan", "seconds", "duplicate_uid"])
  and only_keys(["port", "chip", "status", "error", "plan", "seconds", "duplicate_uid"])
  and (.port | str) and (.status | IN("ok", "failed"))
  and (if .status == "ok" then .error == null else (.error | str) end)
  and (.chip | chip_ok) and (.plan | plan_ok)
  and (.seconds | type == "number" and . >= 0) and (.duplicate_uid | type == "boolean");

def found_ok:
  type == "object"
  and has_keys(["port", "kind", "driver", "usb"]) and only_keys(["port", "kind", "driver", "usb"])
  and (.port | str) and (.kind | IN("serial", "stlink")) and (.driver | str_or_null)
  and (.usb | . == null or (type == "object"
    and has_keys(["vid", "pid", "manufacturer", "product", "serial"])
    and only_keys(["vid", "pid", "manufacturer", "product", "serial"])
    and (.vid | hex(4)) and (.pid | hex(4))
    and all(.manufacturer, .product, .serial; str_or_null)));

type == "object"
and .schema == 1
and has_keys(["schema", "status", "action", "boards"])
and only_keys(["schema", "status", "action", "error", "boards"])
and (.status | IN("ok", "failed")) and (.action | str)
and ((.error // null) | str_or_null)
and (.boards | type == "array")
and (if .action == "list" then all(.boards[]; found_ok) else all(.boards[]; board_ok) end)
and (if .action == "list" then .status == "ok" and .error == null
     elif .status == "ok" then (.error == null) and all(.boards[]; .status == "ok")
     else (.error != null) or any(.boards[]; .status == "failed") end)
