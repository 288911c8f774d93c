// govmomi's vAPI tagging client (vapi/rest, vapi/tags) against the
// simulator's vcenter-cluster scenario: session, categories, tags and
// associations on a VM, a host and a datastore, with the errors a real
// vCenter answers. Prints one JSON object; ids and morefs appear by the
// names this program gave them, so the output is stable.
//
// Usage: govmomi-tags HOST PORT USER PASSWORD
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/tags"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

var out = map[string]interface{}{}

// names of the ids and morefs this program made or found
var names = map[string]string{}

func name(id string) string {
	if n, ok := names[id]; ok {
		return n
	}
	return "?" + id
}

func refName(r mo.Reference) string {
	ref := r.Reference()
	return ref.Type + ":" + name(ref.Value)
}

func must(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(1)
	}
}

var errorType = regexp.MustCompile(`"type"\s*:\s*"com\.vmware\.vapi\.std\.errors\.([a-z_]+)"`)
var statusCode = regexp.MustCompile(`: (\d{3}) [A-Za-z ]+$`)

// errOf says how a call failed: "ok", the vAPI error type of a 400 (whose
// body govmomi keeps in the error), the status of other codes, or the
// message ids of a batch result.
func errOf(err error) string {
	if err == nil {
		return "ok"
	}
	var batch tags.BatchErrors
	if errors.As(err, &batch) {
		var ids []string
		for _, b := range batch {
			ids = append(ids, "batch:"+b.Type)
		}
		return strings.Join(ids, ",")
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "400 Bad Request: ") {
		if m := errorType.FindStringSubmatch(msg); m != nil {
			return "400 " + m[1]
		}
		return "400 ?" + msg
	}
	if m := statusCode.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return "? " + msg
}

func tagNames(ids []string) []string {
	res := []string{}
	for _, id := range ids {
		res = append(res, name(id))
	}
	return res
}

func refNames(refs []mo.Reference) []string {
	res := []string{}
	for _, r := range refs {
		res = append(res, refName(r))
	}
	return res
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

func main() {
	ctx := context.Background()
	host, port, user, password := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	u := &url.URL{Scheme: "https", Host: host + ":" + port, Path: "/sdk", User: url.UserPassword(user, password)}
	c, err := govmomi.NewClient(ctx, u, true)
	must(err, "soap login")

	// the objects to tag: the scenario's host and datastore, and a VM made here
	finder := find.NewFinder(c.Client, false)
	dc, err := finder.Datacenter(ctx, "dc1")
	must(err, "datacenter")
	finder.SetDatacenter(dc)
	esx, err := finder.HostSystem(ctx, "/dc1/host/cluster1/esx1.example.com")
	must(err, "host")
	ds, err := finder.Datastore(ctx, "/dc1/datastore/shared-ds")
	must(err, "datastore")
	cluster, err := finder.ClusterComputeResource(ctx, "/dc1/host/cluster1")
	must(err, "cluster")
	pool, err := cluster.ResourcePool(ctx)
	must(err, "pool")
	folders, err := dc.Folders(ctx)
	must(err, "folders")
	task, err := folders.VmFolder.CreateVM(ctx, types.VirtualMachineConfigSpec{
		Name: "tagged-vm", GuestId: "otherGuest64", MemoryMB: 128, NumCPUs: 1,
		Files: &types.VirtualMachineFileInfo{VmPathName: "[shared-ds]"},
	}, pool, esx)
	must(err, "CreateVM")
	info, err := task.WaitForResult(ctx, nil)
	must(err, "CreateVM task")
	vm := info.Result.(types.ManagedObjectReference)
	names[vm.Value] = "tagged-vm"
	names[esx.Reference().Value] = "esx1"
	names[ds.Reference().Value] = "shared-ds"
	names[cluster.Reference().Value] = "cluster1"
	missingVM := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-999999"}
	names[missingVM.Value] = "missing-vm"

	// sessions
	bad := rest.NewClient(c.Client)
	out["wrongPassword"] = errOf(bad.Login(ctx, url.UserPassword(user, "wrong")))
	rc := rest.NewClient(c.Client)
	must(rc.Login(ctx, url.UserPassword(user, password)), "rest login")
	out["sessionIdShape"] = regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(rc.SessionID())
	s, err := rc.Session(ctx)
	must(err, "session")
	out["sessionUser"] = s.User
	out["sessionTimes"] = !s.Created.IsZero() && !s.LastAccessed.Before(s.Created)
	m := tags.NewManager(rc)

	// categories
	env, err := m.CreateCategory(ctx, &tags.Category{Name: "env", Description: "environment", Cardinality: "SINGLE", AssociableTypes: []string{"VirtualMachine", "HostSystem"}})
	must(err, "create env")
	names[env] = "env"
	out["firstCategoryId"] = env
	out["categoryIdShape"] = regexp.MustCompile(`^urn:vmomi:InventoryServiceCategory:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:GLOBAL$`).MatchString(env)
	zone, err := m.CreateCategory(ctx, &tags.Category{Name: "zone", Cardinality: "MULTIPLE"})
	must(err, "create zone")
	names[zone] = "zone"
	_, err = m.CreateCategory(ctx, &tags.Category{Name: "env", Cardinality: "MULTIPLE"})
	out["duplicateCategory"] = errOf(err)
	_, err = m.CreateCategory(ctx, &tags.Category{Name: "odd", Cardinality: "SOMETIMES"})
	out["badCardinality"] = errOf(err)
	ids, err := m.ListCategories(ctx)
	must(err, "list categories")
	out["categories"] = tagNames(ids)
	byName, err := m.GetCategory(ctx, "env")
	must(err, "get env by name")
	byName.ID = name(byName.ID)
	out["env"] = byName
	must(m.UpdateCategory(ctx, &tags.Category{ID: env, AssociableTypes: []string{"VirtualMachine", "HostSystem", "Datastore"}, Description: "where it runs"}), "update env")
	got, err := m.GetCategory(ctx, env)
	must(err, "get env")
	got.ID = name(got.ID)
	out["envUpdated"] = got
	out["shrinkTypes"] = errOf(m.UpdateCategory(ctx, &tags.Category{ID: env, AssociableTypes: []string{"VirtualMachine"}}))
	out["renameToTaken"] = errOf(m.UpdateCategory(ctx, &tags.Category{ID: zone, Name: "env"}))
	_, err = m.GetCategory(ctx, "urn:vmomi:InventoryServiceCategory:00000000-0000-4000-8000-000000000000:GLOBAL")
	out["unknownCategory"] = errOf(err)

	// tags
	newTag := func(tagName, category, categoryName string) string {
		id, err := m.CreateTag(ctx, &tags.Tag{Name: tagName, CategoryID: category, Description: tagName + " tag"})
		must(err, "create tag "+tagName)
		names[id] = categoryName + "/" + tagName
		return id
	}
	prod := newTag("prod", env, "env")
	dev := newTag("dev", env, "env")
	zoneA := newTag("a", zone, "zone")
	zoneB := newTag("b", zone, "zone")
	// by the category's name, which govmomi turns into its id; a tag's name is unique within its category only
	zoneProd := newTag("prod", "zone", "zone")
	out["tagIdShape"] = regexp.MustCompile(`^urn:vmomi:InventoryServiceTag:[0-9a-f-]{36}:GLOBAL$`).MatchString(prod)
	_, err = m.CreateTag(ctx, &tags.Tag{Name: "prod", CategoryID: env})
	out["duplicateTag"] = errOf(err)
	_, err = m.CreateTag(ctx, &tags.Tag{Name: "x", CategoryID: "urn:vmomi:InventoryServiceCategory:00000000-0000-4000-8000-000000000000:GLOBAL"})
	out["tagInUnknownCategory"] = errOf(err)
	ids, err = m.ListTags(ctx)
	must(err, "list tags")
	out["tags"] = tagNames(ids)
	ids, err = m.ListTagsForCategory(ctx, env)
	must(err, "list tags for env")
	out["envTags"] = tagNames(ids)
	must(m.UpdateTag(ctx, &tags.Tag{ID: dev, Name: "test", Description: "was dev"}), "update dev")
	names[dev] = "env/test"
	t, err := m.GetTag(ctx, dev)
	must(err, "get test")
	out["testTag"] = map[string]string{"name": t.Name, "description": t.Description, "category": name(t.CategoryID), "id": name(t.ID)}
	out["renameTagToTaken"] = errOf(m.UpdateTag(ctx, &tags.Tag{ID: dev, Name: "prod"}))

	// associations
	out["attachProdVM"] = errOf(m.AttachTag(ctx, prod, vm))
	out["attachProdVMAgain"] = errOf(m.AttachTag(ctx, prod, vm))
	out["attachTestVMSingle"] = errOf(m.AttachTag(ctx, dev, vm))
	out["attachProdHost"] = errOf(m.AttachTag(ctx, prod, esx))
	out["attachProdCluster"] = errOf(m.AttachTag(ctx, prod, cluster))
	out["attachMissingVM"] = errOf(m.AttachTag(ctx, prod, missingVM))
	out["attachUnknownTag"] = errOf(m.AttachTag(ctx, "urn:vmomi:InventoryServiceTag:00000000-0000-4000-8000-000000000000:GLOBAL", vm))
	refs, err := m.ListAttachedObjects(ctx, prod)
	must(err, "list attached objects")
	out["prodObjects"] = refNames(refs)
	ids, err = m.ListAttachedTags(ctx, vm)
	must(err, "list attached tags")
	out["vmTags"] = tagNames(ids)
	out["attachMultiple"] = errOf(m.AttachMultipleTagsToObject(ctx, []string{zoneA, zoneB, "urn:vmomi:InventoryServiceTag:00000000-0000-4000-8000-000000000000:GLOBAL"}, vm))
	ids, err = m.ListAttachedTags(ctx, vm)
	must(err, "list attached tags")
	out["vmTagsAfterMultiple"] = tagNames(ids)
	out["attachToMultiple"] = errOf(m.AttachTagToMultipleObjects(ctx, zoneProd, []mo.Reference{vm, esx, ds}))
	onTags, err := m.ListAttachedObjectsOnTags(ctx, []string{prod, zoneProd})
	must(err, "list attached objects on tags")
	var onTagsOut []map[string]interface{}
	for _, o := range onTags {
		onTagsOut = append(onTagsOut, map[string]interface{}{"tag": name(o.TagID), "objects": refNames(o.ObjectIDs)})
	}
	out["objectsOnTags"] = onTagsOut
	onObjects, err := m.GetAttachedTagsOnObjects(ctx, []mo.Reference{vm, esx, ds})
	must(err, "get attached tags on objects")
	var onObjectsOut []map[string]interface{}
	for _, o := range onObjects {
		var tagList []string
		for _, tg := range o.Tags {
			tagList = append(tagList, name(tg.CategoryID)+"/"+tg.Name)
		}
		onObjectsOut = append(onObjectsOut, map[string]interface{}{"object": refName(o.ObjectID), "tags": sorted(tagList)})
	}
	out["tagsOnObjects"] = onObjectsOut
	out["detachMultiple"] = errOf(m.DetachMultipleTagsFromObject(ctx, []string{zoneA, zoneB}, vm))
	out["detachProdVM"] = errOf(m.DetachTag(ctx, prod, vm))
	out["detachProdVMAgain"] = errOf(m.DetachTag(ctx, prod, vm))
	ids, err = m.ListAttachedTags(ctx, vm)
	must(err, "list attached tags")
	out["vmTagsAfterDetach"] = tagNames(ids)
	// now the VM carries no env tag, so SINGLE lets test on
	out["attachTestVM"] = errOf(m.AttachTag(ctx, dev, vm))

	// deletes take associations along
	must(m.DeleteTag(ctx, &tags.Tag{ID: zoneProd}), "delete zone/prod")
	_, err = m.GetTag(ctx, zoneProd)
	out["deletedTag"] = errOf(err)
	ids, err = m.ListAttachedTags(ctx, ds)
	must(err, "list attached tags")
	out["dsTagsAfterTagDelete"] = tagNames(ids)
	must(m.DeleteCategory(ctx, &tags.Category{ID: env}), "delete env")
	ids, err = m.ListTags(ctx)
	must(err, "list tags")
	out["tagsAfterCategoryDelete"] = tagNames(ids)
	ids, err = m.ListAttachedTags(ctx, vm)
	must(err, "list attached tags")
	out["vmTagsAfterCategoryDelete"] = tagNames(ids)
	ids, err = m.ListAttachedTags(ctx, esx)
	must(err, "list attached tags")
	out["hostTagsAfterCategoryDelete"] = tagNames(ids)
	out["deleteDeletedCategory"] = errOf(m.DeleteCategory(ctx, &tags.Category{ID: env}))

	// logout: the session id no longer works
	must(rc.Logout(ctx), "rest logout")
	_, err = m.ListCategories(ctx)
	out["afterLogout"] = errOf(err)
	s, err = rc.Session(ctx)
	out["sessionAfterLogout"] = s == nil && err == nil

	must(c.Logout(ctx), "soap logout")
	b, err := json.Marshal(out)
	must(err, "json")
	fmt.Println(string(b))
}
