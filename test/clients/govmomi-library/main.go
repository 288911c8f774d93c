// govmomi's content library client (vapi/rest, vapi/library) against the
// simulator's vcenter-cluster scenario, the way Packer and Terraform's
// vSphere provider use it: a local library on shared-ds, items, a file
// pushed through an update session (rest.Client.Upload), listed, downloaded
// back through a download session and read over /folder, and the errors a
// real vCenter answers. Prints one JSON object; ids appear by the names this
// program gave them, so the output is stable.
//
// Usage: govmomi-library HOST PORT USER PASSWORD
package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/ioutil"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25/soap"
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

func must(err error, what string) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", what, err)
		os.Exit(1)
	}
}

var errorType = regexp.MustCompile(`"type"\s*:\s*"com\.vmware\.vapi\.std\.errors\.([a-z_]+)"`)
var statusCode = regexp.MustCompile(`(\d{3}) [A-Za-z ]+$`)
var uuidShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// errOf says how a call failed: "ok", the vAPI error type of a 400 (whose
// body govmomi keeps in the error), or the status of other codes.
func errOf(err error) string {
	if err == nil {
		return "ok"
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

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}

func idNames(ids []string) []string {
	res := []string{}
	for _, id := range ids {
		res = append(res, name(id))
	}
	return sorted(res)
}

func main() {
	ctx := context.Background()
	host, port, user, password := os.Args[1], os.Args[2], os.Args[3], os.Args[4]
	u := &url.URL{Scheme: "https", Host: host + ":" + port, Path: "/sdk", User: url.UserPassword(user, password)}
	c, err := govmomi.NewClient(ctx, u, true)
	must(err, "soap login")

	finder := find.NewFinder(c.Client, false)
	dc, err := finder.Datacenter(ctx, "dc1")
	must(err, "datacenter")
	finder.SetDatacenter(dc)
	ds, err := finder.Datastore(ctx, "/dc1/datastore/shared-ds")
	must(err, "datastore")
	dsID := ds.Reference().Value
	names[dsID] = "shared-ds"

	// no vAPI session: unauthenticated
	anon := library.NewManager(rest.NewClient(c.Client))
	_, err = anon.ListLibraries(ctx)
	out["listWithoutSession"] = errOf(err)
	_, err = anon.CreateLibrary(ctx, library.Library{Name: "x", Type: "LOCAL", Storage: []library.StorageBackings{{DatastoreID: dsID, Type: "DATASTORE"}}})
	out["createWithoutSession"] = errOf(err)

	rc := rest.NewClient(c.Client)
	must(rc.Login(ctx, url.UserPassword(user, password)), "rest login")
	m := library.NewManager(rc)

	// libraries
	backing := []library.StorageBackings{{DatastoreID: dsID, Type: "DATASTORE"}}
	libID, err := m.CreateLibrary(ctx, library.Library{Name: "templates", Description: "golden images", Type: "LOCAL", Storage: backing})
	must(err, "create library")
	names[libID] = "templates"
	out["libraryIdShape"] = uuidShape.MatchString(libID)
	out["firstLibraryId"] = libID
	isoLibID, err := m.CreateLibrary(ctx, library.Library{Name: "isos", Type: "LOCAL", Storage: backing})
	must(err, "create isos library")
	names[isoLibID] = "isos"
	_, err = m.CreateLibrary(ctx, library.Library{Name: "templates", Type: "LOCAL", Storage: backing})
	out["duplicateLibrary"] = errOf(err)
	_, err = m.CreateLibrary(ctx, library.Library{Name: "no-storage", Type: "LOCAL"})
	out["libraryWithoutStorage"] = errOf(err)
	_, err = m.CreateLibrary(ctx, library.Library{Name: "lost", Type: "LOCAL", Storage: []library.StorageBackings{{DatastoreID: "datastore-999999", Type: "DATASTORE"}}})
	out["libraryOnMissingDatastore"] = errOf(err)
	_, err = m.CreateLibrary(ctx, library.Library{Name: "", Type: "LOCAL", Storage: backing})
	out["libraryWithoutName"] = errOf(err)

	libs, err := m.ListLibraries(ctx)
	must(err, "list libraries")
	out["libraries"] = idNames(libs)
	lib, err := m.GetLibraryByID(ctx, libID)
	must(err, "get library")
	out["library"] = map[string]interface{}{
		"id": name(lib.ID), "name": lib.Name, "description": lib.Description, "type": lib.Type,
		"storage": []string{lib.Storage[0].Type + ":" + name(lib.Storage[0].DatastoreID)},
		"times": lib.CreationTime != nil && lib.LastModifiedTime != nil && !lib.LastModifiedTime.Before(*lib.CreationTime),
	}
	found, err := m.FindLibrary(ctx, library.Find{Name: "Templates"})
	must(err, "find library")
	out["findLibrary"] = idNames(found)
	found, err = m.FindLibrary(ctx, library.Find{Name: "nothing"})
	must(err, "find no library")
	out["findNoLibrary"] = idNames(found)
	byName, err := m.GetLibraryByName(ctx, "isos")
	must(err, "library by name")
	out["libraryByName"] = name(byName.ID)
	_, err = m.GetLibraryByID(ctx, "00000000-0000-4000-8000-000000000000")
	out["unknownLibrary"] = errOf(err)

	// update: govmomi v0.24 has no helper; the request Terraform's provider sends
	patch := func(path, id string, spec interface{}) error {
		body := map[string]interface{}{"update_spec": spec}
		return rc.Do(ctx, rc.Resource(path).WithID(id).Request(http.MethodPatch, body), nil)
	}
	out["updateLibrary"] = errOf(patch("/com/vmware/content/local-library", libID, map[string]string{"description": "VM templates"}))
	out["renameLibraryToTaken"] = errOf(patch("/com/vmware/content/local-library", libID, map[string]string{"name": "isos"}))
	lib, err = m.GetLibraryByID(ctx, libID)
	must(err, "get updated library")
	out["libraryUpdated"] = lib.Name + ": " + lib.Description

	// items
	itemID, err := m.CreateLibraryItem(ctx, library.Item{LibraryID: isoLibID, Name: "ubuntu", Type: "iso", Description: "installer"})
	must(err, "create item")
	names[itemID] = "ubuntu"
	out["itemIdShape"] = uuidShape.MatchString(itemID)
	notesID, err := m.CreateLibraryItem(ctx, library.Item{LibraryID: isoLibID, Name: "notes", Type: "file"})
	must(err, "create notes")
	names[notesID] = "notes"
	tplID, err := m.CreateLibraryItem(ctx, library.Item{LibraryID: libID, Name: "ubuntu", Type: "ovf"})
	must(err, "create same name in another library")
	names[tplID] = "templates/ubuntu"
	_, err = m.CreateLibraryItem(ctx, library.Item{LibraryID: isoLibID, Name: "ubuntu", Type: "iso"})
	out["duplicateItem"] = errOf(err)
	_, err = m.CreateLibraryItem(ctx, library.Item{LibraryID: "00000000-0000-4000-8000-000000000000", Name: "x", Type: "iso"})
	out["itemInUnknownLibrary"] = errOf(err)
	_, err = m.CreateLibraryItem(ctx, library.Item{LibraryID: isoLibID, Name: "", Type: "iso"})
	out["itemWithoutName"] = errOf(err)
	items, err := m.ListLibraryItems(ctx, isoLibID)
	must(err, "list items")
	out["isoItems"] = idNames(items)
	foundItems, err := m.FindLibraryItems(ctx, library.FindItem{Name: "ubuntu"})
	must(err, "find items")
	out["findItems"] = idNames(foundItems)
	foundItems, err = m.FindLibraryItems(ctx, library.FindItem{Name: "ubuntu", LibraryID: libID})
	must(err, "find items in library")
	out["findItemsInLibrary"] = idNames(foundItems)
	item, err := m.GetLibraryItem(ctx, itemID)
	must(err, "get item")
	out["itemBefore"] = map[string]interface{}{"name": item.Name, "type": item.Type, "library": name(item.LibraryID), "cached": item.Cached, "size": item.Size, "description": item.Description}
	_, err = m.GetLibraryItem(ctx, "00000000-0000-4000-8000-000000000000")
	out["unknownItem"] = errOf(err)

	// upload: a few hundred KB, as Packer's iso upload does it
	data := make([]byte, 300*1024+17)
	for i := range data {
		data[i] = byte((i*7 + i/251) % 256)
	}
	sum := sha1.Sum(data)
	sha := hex.EncodeToString(sum[:])
	session, err := m.CreateLibraryItemUpdateSession(ctx, library.Session{LibraryItemID: itemID})
	must(err, "update session")
	_, err = m.CreateLibraryItemUpdateSession(ctx, library.Session{LibraryItemID: itemID})
	out["secondUpdateSession"] = errOf(err)
	_, err = m.CreateLibraryItemUpdateSession(ctx, library.Session{LibraryItemID: "00000000-0000-4000-8000-000000000000"})
	out["updateSessionUnknownItem"] = errOf(err)
	info, err := m.AddLibraryItemFile(ctx, session, library.UpdateFile{Name: "ubuntu.iso", SourceType: "PUSH", Size: int64(len(data)), Checksum: &library.Checksum{Algorithm: "SHA1", Checksum: sha}})
	must(err, "add file")
	endpoint := "https://" + host + ":" + port + "/rest/com/vmware/cis/data/"
	out["added"] = map[string]interface{}{"status": info.Status, "endpoint": strings.HasPrefix(info.UploadEndpoint.URI, endpoint)}
	_, err = m.AddLibraryItemFile(ctx, session, library.UpdateFile{Name: "x.iso", SourceType: "PULL", SourceEndpoint: &library.TransferEndpoint{URI: "http://example.com/x.iso"}})
	out["addPull"] = errOf(err)
	_, err = m.AddLibraryItemFile(ctx, session, library.UpdateFile{Name: "../escape", SourceType: "PUSH"})
	out["addBadName"] = errOf(err)
	out["completeBeforeUpload"] = errOf(m.CompleteLibraryItemUpdateSession(ctx, session))
	var validation struct {
		HasErrors    bool     `json:"has_errors"`
		MissingFiles []string `json:"missing_files"`
		InvalidFiles []struct {
			Name string `json:"name"`
		} `json:"invalid_files"`
	}
	validate := func(id string) interface{} {
		validation.MissingFiles, validation.InvalidFiles = nil, nil
		err := rc.Do(ctx, rc.Resource("/com/vmware/content/library/item/updatesession/file").WithID(id).WithAction("validate").Request(http.MethodPost), &validation)
		must(err, "validate")
		invalid := []string{}
		for _, f := range validation.InvalidFiles {
			invalid = append(invalid, f.Name)
		}
		return map[string]interface{}{"hasErrors": validation.HasErrors, "missing": append([]string{}, validation.MissingFiles...), "invalid": invalid}
	}
	out["validateBeforeUpload"] = validate(session)
	uploadURL, err := soap.ParseURL(info.UploadEndpoint.URI)
	must(err, "upload url")
	upload := func(u *url.URL, b []byte) string {
		p := soap.DefaultUpload
		p.ContentLength = int64(len(b))
		return errOf(rc.Upload(ctx, bytes.NewReader(b), u, &p))
	}
	out["upload"] = upload(uploadURL, data)
	fileInfo, err := m.GetLibraryItemUpdateSessionFile(ctx, session, "ubuntu.iso")
	must(err, "session file")
	out["uploaded"] = map[string]interface{}{"status": fileInfo.Status, "bytes": fileInfo.BytesTransferred, "size": fileInfo.Size}
	out["validateAfterUpload"] = validate(session)
	out["complete"] = errOf(m.CompleteLibraryItemUpdateSession(ctx, session))
	s, err := m.GetLibraryItemUpdateSession(ctx, session)
	must(err, "get session")
	out["sessionAfterComplete"] = s.State + " " + name(s.LibraryItemID)
	out["uploadToCompletedSession"] = upload(uploadURL, data)
	unknown, _ := url.Parse(endpoint + "00000000-0000-4000-8000-000000000000/ubuntu.iso")
	out["uploadToUnknownSession"] = upload(unknown, data)
	out["completeAgain"] = errOf(m.CompleteLibraryItemUpdateSession(ctx, session))
	out["deleteSession"] = errOf(m.DeleteLibraryItemUpdateSession(ctx, session))
	_, err = m.GetLibraryItemUpdateSession(ctx, session)
	out["deletedSession"] = errOf(err)

	item, err = m.GetLibraryItem(ctx, itemID)
	must(err, "get item after upload")
	out["itemAfter"] = map[string]interface{}{"cached": item.Cached, "size": item.Size, "contentVersion": item.ContentVersion}
	files, err := m.ListLibraryItemFiles(ctx, itemID)
	must(err, "list files")
	listed := []interface{}{}
	for _, f := range files {
		listed = append(listed, map[string]interface{}{"name": f.Name, "size": *f.Size, "cached": *f.Cached, "checksum": f.Checksum.Algorithm + ":" + map[bool]string{true: "matches", false: f.Checksum.Checksum}[f.Checksum.Checksum == sha]})
	}
	out["files"] = listed
	one, err := m.GetLibraryItemFile(ctx, itemID, "ubuntu.iso")
	must(err, "get file")
	out["file"] = one.Name
	_, err = m.GetLibraryItemFile(ctx, itemID, "missing.iso")
	out["missingFile"] = errOf(err)

	// uploads that go wrong: a size that is not the declared one, a checksum that does not match
	bad, err := m.CreateLibraryItemUpdateSession(ctx, library.Session{LibraryItemID: notesID})
	must(err, "notes session")
	text := []byte("hello, library\n")
	info, err = m.AddLibraryItemFile(ctx, bad, library.UpdateFile{Name: "notes.txt", SourceType: "PUSH", Size: 10})
	must(err, "add notes")
	badURL, _ := soap.ParseURL(info.UploadEndpoint.URI)
	out["uploadLongerThanDeclared"] = upload(badURL, text)
	info, err = m.AddLibraryItemFile(ctx, bad, library.UpdateFile{Name: "notes.txt", SourceType: "PUSH", Size: int64(len(text)), Checksum: &library.Checksum{Algorithm: "SHA1", Checksum: strings.Repeat("0", 40)}})
	must(err, "add notes again")
	out["uploadBadChecksum"] = upload(badURL, text)
	out["validateBadChecksum"] = validate(bad)
	out["completeBadChecksum"] = errOf(m.CompleteLibraryItemUpdateSession(ctx, bad))
	out["failSession"] = errOf(m.FailLibraryItemUpdateSession(ctx, bad))
	s, err = m.GetLibraryItemUpdateSession(ctx, bad)
	must(err, "get failed session")
	out["failedSession"] = s.State
	cancel, err := m.CreateLibraryItemUpdateSession(ctx, library.Session{LibraryItemID: notesID})
	must(err, "session after a failed one")
	info, err = m.AddLibraryItemFile(ctx, cancel, library.UpdateFile{Name: "notes.txt", SourceType: "PUSH", Size: int64(len(text))})
	must(err, "add notes a third time")
	cancelURL, _ := soap.ParseURL(info.UploadEndpoint.URI)
	out["uploadThenCancel"] = upload(cancelURL, text)
	out["cancelSession"] = errOf(m.CancelLibraryItemUpdateSession(ctx, cancel))
	s, err = m.GetLibraryItemUpdateSession(ctx, cancel)
	must(err, "get canceled session")
	out["canceledSession"] = s.State
	notesFiles, err := m.ListLibraryItemFiles(ctx, notesID)
	must(err, "notes files")
	out["notesFilesAfterCancel"] = len(notesFiles)

	// download through a download session
	dl, err := m.CreateLibraryItemDownloadSession(ctx, library.Session{LibraryItemID: itemID})
	must(err, "download session")
	dlFiles, err := m.ListLibraryItemDownloadSessionFile(ctx, dl)
	must(err, "download files")
	states := []string{}
	for _, f := range dlFiles {
		states = append(states, f.Name+" "+f.Status)
	}
	out["downloadFilesBefore"] = states
	prepared, err := m.PrepareLibraryItemDownloadSessionFile(ctx, dl, "ubuntu.iso")
	must(err, "prepare")
	out["prepared"] = map[string]interface{}{"status": prepared.Status, "endpoint": strings.HasPrefix(prepared.DownloadEndpoint.URI, endpoint)}
	got, err := m.GetLibraryItemDownloadSessionFile(ctx, dl, "ubuntu.iso")
	must(err, "download file info")
	out["downloadFile"] = map[string]interface{}{"status": got.Status, "size": got.Size}
	_, err = m.PrepareLibraryItemDownloadSessionFile(ctx, dl, "missing.iso")
	out["prepareMissing"] = errOf(err)
	dlURL, err := soap.ParseURL(prepared.DownloadEndpoint.URI)
	must(err, "download url")
	r, n, err := rc.Download(ctx, dlURL, &soap.DefaultDownload)
	must(err, "download")
	back, err := ioutil.ReadAll(r)
	r.Close()
	must(err, "read download")
	out["downloaded"] = map[string]interface{}{"length": n, "same": bytes.Equal(back, data)}
	out["deleteDownloadSession"] = errOf(m.DeleteLibraryItemDownloadSession(ctx, dl))
	_, _, err = rc.Download(ctx, dlURL, &soap.DefaultDownload)
	out["downloadAfterDelete"] = errOf(err)
	_, err = m.CreateLibraryItemDownloadSession(ctx, library.Session{LibraryItemID: "00000000-0000-4000-8000-000000000000"})
	out["downloadSessionUnknownItem"] = errOf(err)

	// the file on the datastore, as vCenter keeps it, over /folder with the SOAP session
	path := "contentlib-" + isoLibID + "/" + itemID + "/ubuntu.iso"
	folderURL := ds.NewURL(path)
	r, _, err = c.Client.Download(ctx, folderURL, &soap.DefaultDownload)
	must(err, "folder download")
	onDisk, err := ioutil.ReadAll(r)
	r.Close()
	must(err, "read folder download")
	out["onDatastore"] = bytes.Equal(onDisk, data)
	stat := func(p string) string {
		_, err := ds.Stat(ctx, p)
		if err == nil {
			return "exists"
		}
		if _, ok := err.(object.DatastoreNoSuchFileError); ok {
			return "missing"
		}
		return "? " + err.Error()
	}
	out["libraryFolder"] = stat("contentlib-" + isoLibID + "/" + itemID + "/ubuntu.iso")

	// item update and delete
	out["renameItem"] = errOf(patch("/com/vmware/content/library/item", itemID, map[string]string{"name": "ubuntu-20.04"}))
	out["renameItemToTaken"] = errOf(patch("/com/vmware/content/library/item", itemID, map[string]string{"name": "notes"}))
	item, err = m.GetLibraryItem(ctx, itemID)
	must(err, "get renamed item")
	out["itemRenamed"] = item.Name
	out["deleteItem"] = errOf(m.DeleteLibraryItem(ctx, &library.Item{ID: itemID}))
	_, err = m.GetLibraryItem(ctx, itemID)
	out["deletedItem"] = errOf(err)
	_, _, err = c.Client.Download(ctx, ds.NewURL("contentlib-"+isoLibID+"/"+itemID+"/ubuntu.iso"), &soap.DefaultDownload)
	out["deletedItemFile"] = errOf(err)
	out["deleteItemAgain"] = errOf(m.DeleteLibraryItem(ctx, &library.Item{ID: itemID}))
	items, err = m.ListLibraryItems(ctx, isoLibID)
	must(err, "list items after delete")
	out["isoItemsAfterDelete"] = idNames(items)

	// library delete takes its items and folder along
	out["deleteLibrary"] = errOf(m.DeleteLibrary(ctx, &library.Library{ID: isoLibID}))
	_, err = m.GetLibraryByID(ctx, isoLibID)
	out["deletedLibrary"] = errOf(err)
	_, err = m.GetLibraryItem(ctx, notesID)
	out["itemOfDeletedLibrary"] = errOf(err)
	_, err = m.ListLibraryItems(ctx, isoLibID)
	out["itemsOfDeletedLibrary"] = errOf(err)
	_, _, err = c.Client.Download(ctx, ds.NewURL("contentlib-"+isoLibID+"/"), &soap.DefaultDownload)
	out["deletedLibraryFolder"] = errOf(err)
	libs, err = m.ListLibraries(ctx)
	must(err, "list libraries after delete")
	out["librariesAfterDelete"] = idNames(libs)

	must(rc.Logout(ctx), "logout")
	_, err = m.ListLibraries(ctx)
	out["afterLogout"] = errOf(err)

	b, err := json.Marshal(out)
	must(err, "json")
	fmt.Println(string(b))
}
