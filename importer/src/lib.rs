//! nova-ve-import-eveng: import EVE-NG / UNetLab / PNETLab images, templates and labs.
