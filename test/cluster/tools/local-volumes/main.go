// Command local-volumes is the local cluster's dynamic volume provisioner:
// the default StorageClass (WaitForFirstConsumer) names it, so a per-run
// workspace PVC gets a `local` PersistentVolume on the node its first pod was
// scheduled to, in a folder under -root. Real and simulated nodes share this
// host's filesystem, so the provisioner makes and removes the folders itself
// (no helper pods); on a simulated node nothing mounts the folder. The PV
// controller binds the claim to the PV; a Released PV with reclaim policy
// Delete has its folder and object removed here.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/util/workqueue"
)

const (
	annProvisioner   = "volume.kubernetes.io/storage-provisioner"
	annSelectedNode  = "volume.kubernetes.io/selected-node"
	annProvisionedBy = "pv.kubernetes.io/provisioned-by"
)

type provisioner struct {
	name   string
	root   string
	client kubernetes.Interface
	pvcs   cache.Indexer
	pvs    cache.Indexer
	queue  workqueue.TypedRateLimitingInterface[string]
}

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the cluster")
	name := flag.String("name", "mlpipe.local/local-volume", "provisioner name, as the StorageClass gives it")
	root := flag.String("root", "", "folder that holds one folder per volume (required)")
	flag.Parse()
	if *root == "" {
		log.Fatal("-root is required")
	}
	if err := os.MkdirAll(*root, 0o755); err != nil {
		log.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		log.Fatal(err)
	}
	cfg.UserAgent = "local-volumes"
	client := kubernetes.NewForConfigOrDie(cfg)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	f := informers.NewSharedInformerFactory(client, 10*time.Minute)
	pvcInf, pvInf := f.Core().V1().PersistentVolumeClaims().Informer(), f.Core().V1().PersistentVolumes().Informer()
	p := &provisioner{name: *name, root: *root, client: client, pvcs: pvcInf.GetIndexer(), pvs: pvInf.GetIndexer(),
		queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[string]())}
	enqueue := func(kind string) cache.ResourceEventHandlerFuncs {
		add := func(obj any) {
			if key, err := cache.MetaNamespaceKeyFunc(obj); err == nil {
				p.queue.Add(kind + "/" + key)
			}
		}
		return cache.ResourceEventHandlerFuncs{AddFunc: add, UpdateFunc: func(_, o any) { add(o) }}
	}
	if _, err := pvcInf.AddEventHandler(enqueue("pvc")); err != nil {
		log.Fatal(err)
	}
	if _, err := pvInf.AddEventHandler(enqueue("pv")); err != nil {
		log.Fatal(err)
	}
	f.Start(ctx.Done())
	f.WaitForCacheSync(ctx.Done())
	log.Printf("local-volumes: provisioning %s in %s", p.name, p.root)
	go func() { <-ctx.Done(); p.queue.ShutDown() }()
	for p.next(ctx) {
	}
}

func (p *provisioner) next(ctx context.Context) bool {
	key, quit := p.queue.Get()
	if quit {
		return false
	}
	defer p.queue.Done(key)
	var err error
	if len(key) > 4 && key[:4] == "pvc/" {
		err = p.syncClaim(ctx, key[4:])
	} else {
		err = p.syncVolume(ctx, key[3:])
	}
	if err != nil {
		log.Printf("%s: %v (will retry)", key, err)
		p.queue.AddRateLimited(key)
		return true
	}
	p.queue.Forget(key)
	return true
}

// syncClaim provisions a PV for a claim the PV controller handed to us once
// the scheduler has chosen its node.
func (p *provisioner) syncClaim(ctx context.Context, key string) error {
	obj, ok, err := p.pvcs.GetByKey(key)
	if err != nil || !ok {
		return err
	}
	pvc := obj.(*corev1.PersistentVolumeClaim)
	node := pvc.Annotations[annSelectedNode]
	if pvc.Annotations[annProvisioner] != p.name || node == "" || pvc.Spec.VolumeName != "" || pvc.DeletionTimestamp != nil {
		return nil
	}
	pvName := "pvc-" + string(pvc.UID)
	if _, exists, _ := p.pvs.GetByKey(pvName); exists {
		return nil
	}
	class, err := p.client.StorageV1().StorageClasses().Get(ctx, *pvc.Spec.StorageClassName, metav1.GetOptions{})
	if err != nil {
		return err
	}
	dir := filepath.Join(p.root, pvName)
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o777); err != nil { // any pod user may write, as on a fresh disk
		return err
	}
	reclaim := corev1.PersistentVolumeReclaimDelete
	if class.ReclaimPolicy != nil {
		reclaim = *class.ReclaimPolicy
	}
	mode := corev1.PersistentVolumeFilesystem
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: pvName, Annotations: map[string]string{annProvisionedBy: p.name}},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: pvc.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   pvc.Spec.AccessModes,
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              class.Name,
			VolumeMode:                    &mode,
			ClaimRef: &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1",
				Namespace: pvc.Namespace, Name: pvc.Name, UID: pvc.UID},
			PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: dir}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
			}}}},
		},
	}
	if _, err := p.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating PV %s: %w", pvName, err)
	}
	log.Printf("provisioned %s for %s on node %s (%s)", pvName, key, node, dir)
	return nil
}

// syncVolume removes a Released PV of ours whose policy is Delete, and its folder.
func (p *provisioner) syncVolume(ctx context.Context, name string) error {
	obj, ok, err := p.pvs.GetByKey(name)
	if err != nil || !ok {
		return err
	}
	pv := obj.(*corev1.PersistentVolume)
	if pv.Annotations[annProvisionedBy] != p.name || pv.Status.Phase != corev1.VolumeReleased ||
		pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete || pv.DeletionTimestamp != nil {
		return nil
	}
	if pv.Spec.Local != nil && filepath.Dir(pv.Spec.Local.Path) == filepath.Clean(p.root) {
		if err := os.RemoveAll(pv.Spec.Local.Path); err != nil {
			return err
		}
	}
	if err := p.client.CoreV1().PersistentVolumes().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	log.Printf("deleted %s and its folder", name)
	return nil
}
